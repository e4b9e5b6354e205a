"""tongban (通办): a platform for handling government services across regions."""

__version__ = "0.1.0"
