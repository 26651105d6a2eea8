"""The root of the settings: one frozen Struct with a field per section."""

from __future__ import annotations

from typing import Literal

import msgspec

from ff_shared.settings.analytics import (
    AdpSettings,
    AnalystSettings,
    GoogleAnalyticsSettings,
    TrackerSettings,
)
from ff_shared.settings.integrations import (
    AnchorLmsSettings,
    DynamicsSettings,
    LmsSettings,
    ObvArchiverSettings,
    ObvSettings,
    PaymentsSettings,
)
from ff_shared.settings.lending import (
    DocumentSettings,
    EmailSettings,
    LoanBookSettings,
    ProductSettings,
    ReviewSettings,
)
from ff_shared.settings.platform import (
    ApiSettings,
    AwsSettings,
    CognitoSettings,
    MongoSettings,
    ObservabilitySettings,
    PostgresSettings,
    RedisSettings,
    WorkerSettings,
)

PREFIX = "FF_"
SSM_PREFIX = "ssm:"

Environment = Literal["local", "test", "production"]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    environment: Environment = "local"
    """`production` refuses test-only stand-ins."""
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Lowest level logged."""
    log_json: bool = True
    """JSON log lines (false: human-readable console lines)."""
    api: ApiSettings = ApiSettings()
    mongo: MongoSettings = MongoSettings()
    redis: RedisSettings = RedisSettings()
    postgres: PostgresSettings = PostgresSettings()
    aws: AwsSettings = AwsSettings()
    cognito: CognitoSettings
    product: ProductSettings = ProductSettings()
    lms: LmsSettings = LmsSettings()
    loanbook: LoanBookSettings = LoanBookSettings()
    anchor_lms: AnchorLmsSettings = AnchorLmsSettings()
    dynamics: DynamicsSettings = DynamicsSettings()
    obv: ObvSettings = ObvSettings()
    payments: PaymentsSettings = PaymentsSettings()
    obv_archiver: ObvArchiverSettings = ObvArchiverSettings()
    review: ReviewSettings = ReviewSettings()
    documents: DocumentSettings = DocumentSettings()
    email: EmailSettings = EmailSettings()
    tracker: TrackerSettings = TrackerSettings()
    worker: WorkerSettings = WorkerSettings()
    observability: ObservabilitySettings = ObservabilitySettings()
    google_analytics: GoogleAnalyticsSettings = GoogleAnalyticsSettings()
    analyst: AnalystSettings = AnalystSettings()
    adp: AdpSettings = AdpSettings()
