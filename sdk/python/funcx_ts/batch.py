"""A batch of calls, possibly to several endpoints and functions, submitted in one request."""
from .serialization import check_serializer, encode_payload


class Batch:
    """Collects calls with add(); FuncXClient.batch_run(batch) submits them (POST /v3/submit)."""

    def __init__(self, serializer="pickle", default_endpoint_id=None, resource_specification=None):
        self.serializer = check_serializer(serializer)
        self.default_endpoint_id = default_endpoint_id
        # Nodes and MPI ranks for every call added from now on (as Globus Compute's Batch).
        self.resource_specification = resource_specification
        self.tasks = []

    def add(self, *args, endpoint_id=None, function_id=None, **kwargs):
        """Adds one call: function_id on endpoint_id with these arguments."""
        endpoint_id = endpoint_id or self.default_endpoint_id
        if not endpoint_id or not function_id:
            raise ValueError("batch.add needs endpoint_id= and function_id=")
        task = {
            "endpoint_id": str(endpoint_id),
            "function_id": str(function_id),
            "payload": encode_payload(self.serializer, args, kwargs),
            "serializer": self.serializer,
        }
        if self.resource_specification:
            task["resource_specification"] = dict(self.resource_specification)
        self.tasks.append(task)

    def __len__(self):
        return len(self.tasks)

    def __repr__(self):
        return "Batch(%d calls, serializer=%r)" % (len(self.tasks), self.serializer)
