"""`python -m adelie.cli`: the same command line as `adelie` (for `accelerate launch -m adelie.cli ...`)."""

from adelie.cli import main

if __name__ == "__main__":
    main()
