"""ORM tables, one module per aggregate. Importing this package registers every table on Base.metadata."""

from modelyard.models.audit import AdminAudit
from modelyard.models.auth import AuthSession, Invite, RevokedToken
from modelyard.models.catalog import CatalogModel, CatalogProvider, ModelPrice
from modelyard.models.channels import Channel, ChannelModel
from modelyard.models.codes import CodeRedemption, RedemptionCode
from modelyard.models.health import ChannelHealth
from modelyard.models.holds import Hold
from modelyard.models.keys import ApiKey
from modelyard.models.ledger import LedgerEntry, LedgerKind
from modelyard.models.pricing import PriceAudit, PricingSetting
from modelyard.models.request_logs import RequestLog
from modelyard.models.rollups import AppUsageHourly, ModelHistogram, ModelStats, ModelStatsDaily, UsageHourly
from modelyard.models.site_settings import SiteSetting
from modelyard.models.users import User, UserRole

__all__ = [
    "AdminAudit",
    "ApiKey",
    "AppUsageHourly",
    "AuthSession",
    "CatalogModel",
    "CatalogProvider",
    "Channel",
    "ChannelHealth",
    "ChannelModel",
    "CodeRedemption",
    "Hold",
    "Invite",
    "LedgerEntry",
    "LedgerKind",
    "ModelHistogram",
    "ModelPrice",
    "ModelStats",
    "ModelStatsDaily",
    "PriceAudit",
    "PricingSetting",
    "RedemptionCode",
    "RequestLog",
    "RevokedToken",
    "SiteSetting",
    "UsageHourly",
    "User",
    "UserRole",
]
