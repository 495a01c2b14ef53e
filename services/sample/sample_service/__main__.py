"""`python -m sample_service`: the container's entrypoint."""

from sample_service.app import main

if __name__ == "__main__":
    raise SystemExit(main())
