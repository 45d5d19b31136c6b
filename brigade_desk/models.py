"""All tables. Import this package to have every model registered on ``Base.metadata``."""

from brigade_desk.core.models.audit import AuditEntry
from brigade_desk.core.models.base import Base
from brigade_desk.core.models.holidays import OfficialDay, OfficialYear
from brigade_desk.core.models.settings import Setting
from brigade_desk.ledgers.av.models import (
    AvAttribution,
    AvDeletion,
    AvDevice,
    AvDeviceHolder,
    AvDuplicate,
    AvIngestBatch,
    AvNamePattern,
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
)
from brigade_desk.ledgers.cases.models import (
    CaseRecord,
    CaseReview,
    ChecklistTemplate,
    Rectification,
    ReviewItem,
    ReviewSample,
    ReviewSampleCase,
)
from brigade_desk.ledgers.roster.models import (
    Certificate,
    CertificateEvent,
    CertStatus,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)
from brigade_desk.ledgers.training.models import (
    TrainingAttendance,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)
from brigade_desk.reports.models import ReportDone

__all__ = [
    "AvAttribution",
    "AvDeletion",
    "AvDevice",
    "AvDeviceHolder",
    "AvDuplicate",
    "AvIngestBatch",
    "AvNamePattern",
    "AvRecord",
    "AvRecordCheck",
    "AvStorageRoot",
    "AvVerifyResult",
    "AvVerifyRun",
    "AuditEntry",
    "Base",
    "CaseRecord",
    "CaseReview",
    "ChecklistTemplate",
    "OfficialDay",
    "OfficialYear",
    "Rectification",
    "ReviewItem",
    "ReviewSample",
    "ReviewSampleCase",
    "ReportDone",
    "Certificate",
    "CertificateEvent",
    "CertStatus",
    "Setting",
    "Staff",
    "StaffCategory",
    "StaffEvent",
    "StaffStatus",
    "TrainingAttendance",
    "TrainingPlan",
    "TrainingPlanItem",
    "TrainingSession",
]
