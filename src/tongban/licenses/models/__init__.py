"""Models of the licences app, one module per part: seals, licences, the transparency log."""

from tongban.licenses.models.licences import *  # noqa: F403
from tongban.licenses.models.log import *  # noqa: F403
from tongban.licenses.models.seals import *  # noqa: F403
