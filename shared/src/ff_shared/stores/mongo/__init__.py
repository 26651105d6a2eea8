"""MongoDB through beanie: customer data, applications and operational records."""

from ff_shared.stores.mongo.connection import DOCUMENT_MODELS, close_mongo, connect_mongo, ping

__all__ = ["DOCUMENT_MODELS", "close_mongo", "connect_mongo", "ping"]
