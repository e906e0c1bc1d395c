"""`python -m config.settings`: write .env.example and the README's table of variables."""

from config.settings.variables import main

main()
