"""The package version, in a module of its own so that any module can read it without importing
the package (``custvalue/__init__.py`` imports every subpackage: reading ``custvalue.__version__``
from inside one of them would be an import cycle)."""

__version__ = "0.1.0"
