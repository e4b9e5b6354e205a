"""The federation message types of e-licences and their log (registered when the app is ready)."""

from tongban.licenses import ledger, sharing  # noqa: F401  (log.head; license.lookup, license.status)
