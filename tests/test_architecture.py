"""Imports point one way (docs/architecture.md), and no two modules import each other."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What each part of the project may import, besides itself. An app not named here (a new one)
# may use what every app may: the blog, the helpers and the wiring.
MAY_IMPORT = {
    "core": set(),
    "blog": {"core", "config"},
    "comments": {"blog", "core", "config"},
    "newsletter": {"blog", "core", "config"},
    # Moving whole sites in and out writes posts, comments and subscribers through their services.
    "moving": {"blog", "comments", "newsletter", "core", "config"},
    "demo": {"blog", "comments", "newsletter", "core", "config"},
    "config": {"blog", "comments", "newsletter", "core", "demo"},
    "bench": {"blog", "comments", "newsletter", "core", "config", "demo", "tests"},
}
AN_APP_MAY_IMPORT = {"blog", "core", "config"}
NOT_OURS = {"tests", ".venv", "var", "docs", "locale", "static", "templates", "node_modules"}


def project_parts(root: Path) -> set[str]:
    return {
        path.parent.name
        for path in root.glob("*/__init__.py")
        if path.parent.name not in NOT_OURS and not path.parent.name.startswith(".")
    }


def modules(root: Path, parts: set[str]) -> dict[str, Path]:
    """Return every module of the project's parts by dotted name."""
    found = {}
    for part in parts:
        for path in (root / part).rglob("*.py"):
            dotted = path.relative_to(root).with_suffix("").parts
            if dotted[-1] == "__init__":
                dotted = dotted[:-1]
            found[".".join(dotted)] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> list[tuple[str, bool]]:
    """Return (imported module, at module level?) for each import of ours in the module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top_level = {id(node) for node in tree.body}
    # `if TYPE_CHECKING:` and `try:` blocks at the top still run when the module is imported.
    for node in tree.body:
        if isinstance(node, ast.If | ast.Try):
            top_level |= {id(child) for child in ast.walk(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import module` imports the module; `from module import name`, the module.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target:
                found.append((target, id(node) in top_level))
    return found


def upward_imports(root: Path) -> list[str]:
    parts = project_parts(root)
    known = modules(root, parts)
    wrong = []
    for name, path in sorted(known.items()):
        part = name.split(".")[0]
        allowed = MAY_IMPORT.get(part, AN_APP_MAY_IMPORT) | {part}
        for target, _ in imports_of(name, path, known):
            if target.split(".")[0] not in allowed:
                wrong.append(f"{name} imports {target}")
    return wrong


def import_cycles(root: Path) -> list[list[str]]:
    """Return the cycles among module-level imports (imports inside functions break cycles)."""
    known = modules(root, project_parts(root))
    graph = {
        name: sorted({target for target, top in imports_of(name, path, known) if top} - {name})
        for name, path in known.items()
    }
    cycles, state, stack = [], {}, []

    def visit(name):
        state[name] = "open"
        stack.append(name)
        for target in graph.get(name, []):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def test_imports_point_from_the_apps_to_the_blog_and_the_helpers():
    assert upward_imports(ROOT) == []


def test_no_two_modules_import_each_other():
    assert import_cycles(ROOT) == []


@pytest.fixture
def small_project(tmp_path):
    def write(files: dict[str, str]) -> Path:
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        return tmp_path

    return write


def test_an_import_of_an_app_by_the_blog_is_found(small_project):
    root = small_project(
        {
            "blog/__init__.py": "",
            "blog/views.py": "def view():\n    from comments.section import context\n",
            "comments/__init__.py": "",
            "comments/section.py": "from blog import views\n",
        }
    )
    assert upward_imports(root) == ["blog.views imports comments.section"]


def test_a_cycle_between_services_and_tasks_is_found_unless_one_imports_inside_a_function(
    small_project,
):
    root = small_project(
        {
            "comments/__init__.py": "",
            "comments/services.py": "from comments import tasks\n",
            "comments/tasks.py": "from . import services\n",
        }
    )
    assert import_cycles(root) == [["comments.services", "comments.tasks", "comments.services"]]

    (root / "comments/tasks.py").write_text("def run():\n    from comments import services\n")

    assert import_cycles(root) == []
