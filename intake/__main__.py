"""Allow `python -m intake`."""

from intake.cli import main

if __name__ == "__main__":
    main()
