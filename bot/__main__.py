"""`python -m bot` is the same program as `vbsp-bot`."""

from bot.cli import main

main()
