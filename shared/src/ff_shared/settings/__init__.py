"""Settings: the environment parsed once into frozen Structs.

Every variable is ``FF_<SECTION>_<FIELD>`` (``FF_MONGO_URL``), or ``FF_<FIELD>`` for the top-level
fields (``FF_ENVIRONMENT``). A field without a default is required. A value of the form
``ssm:/path/to/parameter`` is fetched from SSM Parameter Store (with decryption) at start-up by
:func:`resolve_ssm_references`, so secrets never need to sit in a task definition.

Sections live by concern in :mod:`.platform`, :mod:`.lending`, :mod:`.integrations` and
:mod:`.analytics`; the root Struct in :mod:`.model`; parsing in :mod:`.loading`; the documented
table in :mod:`.reference`. Everything is importable from ``ff_shared.settings``.
"""

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
from ff_shared.settings.loading import load_settings, resolve_ssm_references, settings_to_env
from ff_shared.settings.model import PREFIX, SSM_PREFIX, Environment, Settings
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
from ff_shared.settings.production import docs_enabled, production_problems
from ff_shared.settings.reference import Variable, variables

__all__ = [
    "PREFIX",
    "SSM_PREFIX",
    "AdpSettings",
    "AnalystSettings",
    "AnchorLmsSettings",
    "ApiSettings",
    "AwsSettings",
    "CognitoSettings",
    "DocumentSettings",
    "DynamicsSettings",
    "EmailSettings",
    "Environment",
    "GoogleAnalyticsSettings",
    "LmsSettings",
    "LoanBookSettings",
    "MongoSettings",
    "ObservabilitySettings",
    "ObvArchiverSettings",
    "ObvSettings",
    "PaymentsSettings",
    "PostgresSettings",
    "ProductSettings",
    "RedisSettings",
    "ReviewSettings",
    "Settings",
    "TrackerSettings",
    "Variable",
    "WorkerSettings",
    "docs_enabled",
    "load_settings",
    "production_problems",
    "resolve_ssm_references",
    "settings_to_env",
    "variables",
]
