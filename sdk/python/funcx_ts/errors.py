"""The client's exceptions.

ServiceError subclasses are named after the service's stable error codes (see
docs/api.md "Errors"), so callers can catch FunctionNotFound instead of
switching on strings. An unknown code still raises a ServiceError with that
code, so a newer service never breaks an older client.
"""


class FuncXError(Exception):
    """Base class of every error this client raises itself."""


class ConfigurationError(FuncXError):
    """No service URL or token could be found, or a config file is unreadable."""


class SdkVersionTooOld(FuncXError):
    """The service no longer serves this client's version (its /v2/version min_sdk_version is newer): upgrade."""


class LoginExpired(FuncXError):
    """The stored login's token expired and could not be renewed: run `funcx login` again."""


class ServiceUnreachable(FuncXError):
    """The service did not answer (connection refused, reset, timed out)."""

    def __init__(self, url, cause):
        super().__init__("cannot reach the funcX service at %s: %s" % (url, cause))
        self.url = url


class ServiceError(FuncXError):
    """The service answered with an error: an HTTP status and a stable code."""

    def __init__(self, http_status, code, reason, details=None, request_id=None):
        super().__init__("%s (%s): %s" % (code, http_status, reason))
        self.http_status = http_status
        self.code = code
        self.reason = reason
        self.details = details
        self.request_id = request_id


class RequestMalformed(ServiceError): pass  # noqa: E701
class InvalidUUID(ServiceError): pass  # noqa: E701
class ResourceSpecificationInvalid(ServiceError): pass  # noqa: E701
class UserUnauthenticated(ServiceError): pass  # noqa: E701
class EndpointCredentialInvalid(ServiceError): pass  # noqa: E701
class FunctionAccessForbidden(ServiceError): pass  # noqa: E701
class EndpointAccessForbidden(ServiceError): pass  # noqa: E701
class FunctionNotPermitted(ServiceError): pass  # noqa: E701
class RouteNotFound(ServiceError): pass  # noqa: E701
class FunctionNotFound(ServiceError): pass  # noqa: E701
class EndpointNotFound(ServiceError): pass  # noqa: E701
class TaskNotFound(ServiceError): pass  # noqa: E701
class TaskGroupNotFound(ServiceError): pass  # noqa: E701
class MethodNotAllowed(ServiceError): pass  # noqa: E701
class IdempotencyKeyReused(ServiceError): pass  # noqa: E701
class TaskAlreadyFinished(ServiceError): pass  # noqa: E701
class TaskPayloadTooLarge(ServiceError): pass  # noqa: E701
class BatchRunTooLarge(ServiceError): pass  # noqa: E701
class RequestBodyTooLarge(ServiceError): pass  # noqa: E701
class UnsupportedMediaType(ServiceError): pass  # noqa: E701
class InternalError(ServiceError): pass  # noqa: E701
class DatabaseUnavailable(ServiceError): pass  # noqa: E701
class TooManyRequests(ServiceError): pass  # noqa: E701
class IdentityProviderUnavailable(ServiceError): pass  # noqa: E701
class UpstreamOptionUnsupported(ServiceError): pass  # noqa: E701
class AmqpNotConfigured(ServiceError): pass  # noqa: E701
class InvalidCursor(ServiceError): pass  # noqa: E701
class InvalidTimeBound(ServiceError): pass  # noqa: E701
class StorageFull(ServiceError): pass  # noqa: E701  (507: the service's disk is full; retried like a 503)

ERROR_CLASSES = {cls.__name__: cls for cls in ServiceError.__subclasses__()}


def service_error(http_status, body, request_id=None):
    """The ServiceError for an error response (body: the parsed JSON, or text)."""
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code, reason, details = body["code"], body.get("reason", ""), body.get("details")
    else:
        code, reason, details = "HTTP%d" % http_status, str(body or "")[:500], None
    cls = ERROR_CLASSES.get(code, ServiceError)
    return cls(http_status, code, reason, details=details, request_id=request_id)


class TaskPending(FuncXError):
    """The task has not finished yet; ask again later (or use FuncXExecutor)."""

    def __init__(self, task_id, status):
        super().__init__("task %s is pending (%s)" % (task_id, status))
        self.task_id = task_id
        self.status = status


class RemoteException(FuncXError):
    """A task failed with an exception this client cannot rebuild as its own class.

    `remote_type` is the type name the endpoint reported (e.g. 'mymodule.Oops',
    or a service-set type such as 'TaskCancelled', 'EndpointLost'), `message`
    its text and `remote_traceback` the traceback from the worker, if any.
    """

    def __init__(self, remote_type, message, remote_traceback=None, task_id=None):
        super().__init__("%s: %s" % (remote_type, message))
        self.remote_type = remote_type
        self.message = message
        self.remote_traceback = remote_traceback
        self.task_id = task_id


class RemoteTraceback(Exception):
    """Chained as __cause__ of a re-raised task exception so the worker's traceback prints with it."""

    def __init__(self, text):
        super().__init__(text)
        self.text = text

    def __str__(self):
        return "\n\nRemote traceback (from the endpoint):\n" + self.text.rstrip("\n")
