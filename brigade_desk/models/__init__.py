"""All tables. Import this package to have every model registered on ``Base.metadata``."""

from brigade_desk.models.audit import AuditEntry
from brigade_desk.models.av import (
    AvDuplicate,
    AvIngestBatch,
    AvNamePattern,
    AvRecord,
    AvRecordCheck,
    AvStorageRoot,
    AvVerifyResult,
    AvVerifyRun,
)
from brigade_desk.models.base import Base
from brigade_desk.models.cases import (
    CaseRecord,
    CaseReview,
    ChecklistTemplate,
    OfficialDay,
    OfficialYear,
    Rectification,
    ReviewItem,
    ReviewSample,
    ReviewSampleCase,
)
from brigade_desk.models.reports import ReportDone
from brigade_desk.models.roster import (
    Certificate,
    CertificateEvent,
    CertStatus,
    Staff,
    StaffCategory,
    StaffEvent,
    StaffStatus,
)
from brigade_desk.models.settings import Setting
from brigade_desk.models.training import (
    TrainingAttendance,
    TrainingPlan,
    TrainingPlanItem,
    TrainingSession,
)

__all__ = [
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
