"""Allow ``python -m mapgen``."""

from mapgen.cli import main

if __name__ == "__main__":
    main()
