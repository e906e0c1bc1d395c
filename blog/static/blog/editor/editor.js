/*
 * The post and page editor (blog/admin/editor.py): EasyMDE on the body, a preview rendered by the
 * server as readers will get it, words and reading time, image uploads, and a draft kept in this
 * browser until the server has the text (a form sent may never arrive: the draft outlives it).
 */
"use strict";

(function () {
  // Wide enough for the text and its preview side by side.
  const WIDE_SCREEN = "(min-width: 1100px)";
  const PREVIEW_DELAY_MS = 300;
  const DRAFT_DELAY_MS = 1000;
  // Kept even while the writer types without a pause.
  const DRAFT_EVERY_MS = 5000;

  function start() {
    const settingsElement = document.getElementById("markdown-editor-settings");
    const textarea = document.getElementById("id_body");
    if (!settingsElement || !textarea || textarea.tagName !== "TEXTAREA" || !window.EasyMDE) {
      return; // A read-only view, or a page without the editor.
    }
    const settings = JSON.parse(settingsElement.textContent);
    const texts = settings.texts;
    const form = textarea.form;
    const title = form.querySelector("#id_title");
    const csrfToken = form.querySelector("[name=csrfmiddlewaretoken]").value;
    const language = document.documentElement.lang || "fr";
    const draft = new Draft(settings.draftKey, textarea.value, title ? title.value : "");
    if (settings.newDraftKey !== settings.draftKey) {
      // The object was just added from the shared "new" draft: the server has that text now.
      const added = new Draft(settings.newDraftKey, textarea.value, title ? title.value : "");
      if (added.submittedAt !== null && !added.differs(added.body, added.savedTitle)) {
        added.forget();
      }
    }
    const formHasErrors = Boolean(document.querySelector(".errornote"));

    const preview = new ServerPreview(settings.previewUrl, csrfToken, texts.previewFailed);
    const editor = new window.EasyMDE({
      element: textarea,
      autoDownloadFontAwesome: false,
      spellChecker: false, // Its dictionaries would come from a CDN.
      forceSync: true,
      minHeight: "24rem",
      sideBySideFullscreen: false,
      toolbarButtonClassPrefix: "markdown-editor",
      toolbar: toolbar(texts),
      status: ["upload-image", "autosave", { className: "reading", defaultValue: () => {} }],
      previewRender: (text, element) => preview.render(text, element),
      autosave: {
        enabled: true,
        uniqueId: settings.draftKey,
        delay: DRAFT_DELAY_MS,
        text: texts.autosaved,
        timeFormat: { locale: language, format: { hour: "2-digit", minute: "2-digit" } },
      },
      uploadImage: true,
      imageUploadEndpoint: settings.uploadUrl,
      imagePathAbsolute: true,
      imageCSRFToken: csrfToken,
      imageMaxSize: settings.imageMaxSize,
      imageAccept: settings.imageAccept,
      // The cursor lands between the brackets: the writer types what the image shows.
      insertTexts: { uploadedImage: ["![", "](#url#)"] },
      imageTexts: {
        sbInit: texts.uploadHint,
        sbOnDragEnter: texts.dragEnter,
        sbOnDrop: texts.uploading,
        sbProgress: texts.progress,
        sbOnUploaded: texts.uploaded,
        sizeUnits: texts.sizeUnits,
      },
      errorMessages: {
        noFileGiven: texts.noFileGiven,
        typeNotAllowed: texts.typeNotAllowed,
        fileTooLarge: texts.fileTooLarge,
        importError: texts.importError,
      },
      errorCallback: (message) => notice.show(message, "error"),
    });
    const container = textarea.parentNode.querySelector(".EasyMDEContainer");
    const notice = new Notice(container);
    preview.attach(editor);

    // EasyMDE keeps the body (after each change, and when asked): the title and time go with it.
    let changed = formHasErrors;
    let submitting = false;
    let keepTimer;
    const keepBody = editor.autosave.bind(editor);
    editor.autosave = () => {
      if (!submitting) {
        keepBody();
        draft.keep(title ? title.value : "");
        changed = false;
      }
    };

    const time = new Intl.DateTimeFormat(language, { dateStyle: "long", timeStyle: "short" });
    const discardButton = {
      label: texts.discard,
      action: () => {
        editor.value(draft.savedBody);
        if (title) {
          title.value = draft.savedTitle;
        }
        forget();
        notice.show(texts.discarded, "info");
      },
    };
    function restoreTitle() {
      if (title && draft.title !== null) {
        title.value = draft.title;
        title.dispatchEvent(new Event("change")); // The slug follows, as when typed.
      }
    }
    const draftBody = editor.value();
    const differs = draft.differs(draftBody, title ? title.value : "");
    if (differs && draft.submittedAt !== null && draft.isNew) {
      // Sent from an add form: it may have become an object since, or been lost on the way.
      // The writer decides; meanwhile the form shows the server's text, and the draft is kept.
      editor.value(draft.savedBody);
      clearTimeout(editor._autosave_timeout);
      const sentAt = time.format(new Date(draft.submittedAt));
      notice.show(texts.sent.replace("%(time)s", sentAt), "info", {
        label: texts.restore,
        action: () => {
          editor.value(draftBody);
          restoreTitle();
          keep();
          notice.show(texts.restored.replace("%(time)s", sentAt), "info", discardButton);
        },
      }, discardButton);
    } else if (differs) {
      // A draft left by a closed tab, or by a form that never reached the server, comes back.
      restoreTitle();
      notice.show(
        texts.restored.replace("%(time)s", time.format(new Date(draft.savedAt))),
        "info",
        discardButton,
      );
    } else if (formHasErrors) {
      keep(); // Not saved yet: the form came back to be corrected.
    } else {
      forget(); // Nothing but what the server has.
    }

    function keep() {
      editor.autosave();
    }
    function keepSoon() {
      changed = true;
      clearTimeout(keepTimer);
      keepTimer = setTimeout(keep, DRAFT_DELAY_MS);
    }
    function forget() {
      // EasyMDE's own timer (it names it so) would store the text again after this.
      clearTimeout(editor._autosave_timeout);
      clearTimeout(keepTimer);
      editor.clearAutosavedValue();
      draft.forget();
      changed = false;
      const label = container.querySelector("#autosaved");
      if (label) {
        label.textContent = "";
      }
    }
    editor.codemirror.on("change", keepSoon);
    if (title) {
      title.addEventListener("input", keepSoon);
    }
    setInterval(() => changed && keep(), DRAFT_EVERY_MS);
    window.addEventListener("pagehide", () => changed && keep());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden" && changed) {
        keep();
      }
    });
    // Kept through the sending, marked sent: an expired session, a refusal or a lost connection
    // must not cost the text. The page the server answers with forgets it once it has the text.
    // After EasyMDE's own listener, which removes its copy of the body when the form is sent.
    form.addEventListener("submit", () => {
      keep();
      draft.markSubmitted();
      submitting = true;
    });

    if (window.matchMedia(WIDE_SCREEN).matches) {
      editor.toggleSideBySide();
    }
    preview.refresh();
  }

  function toolbar(texts) {
    const E = window.EasyMDE;
    const button = (name, action, text, titleText) => ({ name, action, text, title: titleText });
    return [
      button("bold", E.toggleBold, "B", texts.bold),
      button("italic", E.toggleItalic, "I", texts.italic),
      button("heading", E.toggleHeading2, "H", texts.heading),
      "|",
      button("quote", E.toggleBlockquote, "❝", texts.quote),
      button("unordered-list", E.toggleUnorderedList, "•", texts.unorderedList),
      button("ordered-list", E.toggleOrderedList, "1.", texts.orderedList),
      "|",
      button("link", E.drawLink, "[ ]", texts.link),
      button("upload-image", E.drawUploadedImage, "⇧", texts.uploadImage),
      button("code", E.toggleCodeBlock, "</>", texts.code),
      "|",
      { ...button("preview", E.togglePreview, "◉", texts.preview), noDisable: true },
      { ...button("side-by-side", E.toggleSideBySide, "◫", texts.sideBySide), noDisable: true },
      { ...button("fullscreen", E.toggleFullScreen, "⤢", texts.fullscreen), noDisable: true },
      "|",
      { ...button("guide", openHelp, "?", texts.guide), noDisable: true },
    ];
  }

  // The guide is the Markdown help under the field, not a page elsewhere.
  function openHelp(editor) {
    const row = editor.element.closest(".form-row");
    const help = row && row.querySelector(".markdown-help");
    if (help) {
      if (editor.isFullscreenActive()) {
        editor.toggleFullScreen();
      }
      help.open = true;
      help.scrollIntoView({ block: "nearest" });
    }
  }

  /** The body's HTML, words and reading time, asked of the server a moment after each change. */
  class ServerPreview {
    constructor(url, csrfToken, failure) {
      this.url = url;
      this.failure = failure;
      this.csrfToken = csrfToken;
      this.html = "";
      this.version = 0; // Of `html`, so that a preview is only redrawn when it changed.
      this.askedFor = null;
      this.latestRequest = 0;
      this.timer = undefined;
    }

    attach(editor) {
      this.editor = editor;
      editor.codemirror.on("change", () => this.refreshSoon());
    }

    /** EasyMDE's previewRender: the last HTML received, or null when the preview shows it. */
    render(text, element) {
      if (text !== this.askedFor) {
        this.refreshSoon();
      }
      if (element.renderedVersion === this.version) {
        return null;
      }
      element.renderedVersion = this.version;
      return this.html;
    }

    refreshSoon() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.refresh(), PREVIEW_DELAY_MS);
    }

    async refresh() {
      const text = this.editor.value();
      if (text === this.askedFor) {
        return;
      }
      this.askedFor = text;
      const request = ++this.latestRequest;
      let result;
      try {
        const response = await fetch(this.url, {
          method: "POST",
          headers: { "X-CSRFToken": this.csrfToken },
          body: new URLSearchParams({ body: text }),
          credentials: "same-origin",
        });
        if (!response.ok) {
          throw new Error(`${response.status}`);
        }
        result = await response.json();
      } catch (error) {
        if (request === this.latestRequest) {
          this.askedFor = null; // Asked again at the next change.
          this.editor.updateStatusBar("reading", this.failure);
        }
        return;
      }
      if (request !== this.latestRequest) {
        return; // An answer to an older text.
      }
      // The server's sanitized rendering, the same as the published page's.
      this.html = result.html;
      this.version += 1;
      for (const element of this.editor.element.parentNode.querySelectorAll(".editor-preview")) {
        element.innerHTML = this.html;
        element.renderedVersion = this.version;
      }
      this.editor.updateStatusBar("reading", result.reading);
    }
  }

  /** A draft's title and time beside EasyMDE's copy of the body, in this browser's storage. */
  class Draft {
    constructor(key, savedBody, savedTitle) {
      this.bodyKey = `smde_${key}`; // EasyMDE's name for it.
      this.key = `chez-soi-draft-${key}`;
      this.isNew = key.endsWith("-new"); // Shared by every object not created yet.
      this.savedBody = savedBody;
      this.savedTitle = savedTitle;
      let kept = null;
      try {
        kept = JSON.parse(localStorage.getItem(this.key));
      } catch (error) {
        kept = null;
      }
      this.title = kept ? kept.title : null;
      this.savedAt = kept ? kept.savedAt : null;
      this.submittedAt = kept && kept.submittedAt ? kept.submittedAt : null;
      this.body = localStorage.getItem(this.bodyKey);
    }

    /** Whether what was kept (and EasyMDE restored) differs from what the server has. */
    differs(body, title) {
      if (this.savedAt === null) {
        return false;
      }
      return body !== this.savedBody || (this.title !== null && this.title !== title);
    }

    keep(title) {
      const kept = { title, savedAt: Date.now() };
      try {
        localStorage.setItem(this.key, JSON.stringify(kept));
      } catch (error) {
        // Storage full or refused: EasyMDE says so in the console; the form still works.
      }
    }

    /** Mark what was just kept as sent to the server. */
    markSubmitted() {
      try {
        const kept = JSON.parse(localStorage.getItem(this.key));
        if (kept) {
          kept.submittedAt = Date.now();
          localStorage.setItem(this.key, JSON.stringify(kept));
        }
      } catch (error) {
        // As in keep(): the draft stays as it was.
      }
    }

    forget() {
      localStorage.removeItem(this.key);
      // EasyMDE's copy too, when this is not the editor's own draft (a "new" one, once added).
      if (localStorage.getItem(this.bodyKey) === this.savedBody) {
        localStorage.removeItem(this.bodyKey);
      }
    }
  }

  /** A message above the editor, read out by screen readers, with optional buttons. */
  class Notice {
    constructor(container) {
      this.element = document.createElement("div");
      this.element.className = "markdown-editor-notice";
      this.element.setAttribute("role", "status");
      this.element.hidden = true;
      container.parentNode.insertBefore(this.element, container);
    }

    show(message, level, ...buttons) {
      this.element.replaceChildren(document.createTextNode(message));
      this.element.dataset.level = level;
      for (const button of buttons) {
        const element = document.createElement("button");
        element.type = "button";
        element.className = "button";
        element.textContent = button.label;
        element.addEventListener("click", button.action);
        this.element.append(" ", element);
      }
      this.element.hidden = false;
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
