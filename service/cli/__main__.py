"""`python -m service.cli`: the same as the `wangge` command."""

from service.cli import main

main()
