"""Shell commands and MPI commands as functions, like Globus Compute's ShellFunction and MPIFunction.

The template is formatted on the endpoint with the call's args and kwargs as
str.format would (no quoting: quote in the template where values may hold
spaces), then run by /bin/sh. The result is a dict {cmd, stdout, stderr,
returncode}; a non-zero return code is still a success.

An MPIFunction's template puts $PARSL_MPI_PREFIX (the launcher the endpoint
builds for the task: srun, mpiexec or mpirun with its nodes and ranks) before
the program; its calls need a resource_specification (on the Batch or the
FuncXExecutor):

    mpi = MPIFunction("$PARSL_MPI_PREFIX ./simulate --steps {steps}")
    with FuncXExecutor(endpoint_id=ep) as ex:
        ex.resource_specification = {"num_nodes": 2, "ranks_per_node": 4}
        ex.submit(mpi, steps=100).result()["stdout"]
"""


class ShellFunction:
    runtime = "shell"

    def __init__(self, cmd, name=None):
        if not isinstance(cmd, str) or not cmd.strip():
            raise ValueError("%s needs a command template" % type(self).__name__)
        self.cmd = cmd
        self.name = name or "%s-function" % self.runtime

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.cmd)


class MPIFunction(ShellFunction):
    runtime = "mpi"
