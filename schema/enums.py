"""The domain's enums, exposed to GraphQL under the contract's names."""

import strawberry

from models import enums
from services.errors import ErrorCode as _ErrorCode

SessionStatus = strawberry.enum(enums.SessionStatus)
EventType = strawberry.enum(enums.EventType)
HrStatus = strawberry.enum(enums.HrStatus)
ApplicationSource = strawberry.enum(enums.ApplicationSource)
RollupStatus = strawberry.enum(enums.RollupStatus)
Speaker = strawberry.enum(enums.Speaker)
Severity = strawberry.enum(enums.Severity)
Decision = strawberry.enum(enums.Decision)
Role = strawberry.enum(enums.Role)
DeliveryStatus = strawberry.enum(enums.DeliveryStatus)
ErrorCode = strawberry.enum(_ErrorCode)
