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


# Ends the here-document of the snippet wrapper; a template containing this exact line cannot be wrapped.
_SNIPPET_END = "FUNCX_SHELL_SNIPPET_END"


class ShellFunction:
    """snippet_lines (as upstream's): only the last N lines of stdout and of stderr come back.

    The command's streams then go to files in its task folder (its sandbox) and
    `tail` prints their ends when it is done; the return code is the command's.
    """

    runtime = "shell"

    def __init__(self, cmd, name=None, snippet_lines=None):
        if not isinstance(cmd, str) or not cmd.strip():
            raise ValueError("%s needs a command template" % type(self).__name__)
        if snippet_lines is not None and (not isinstance(snippet_lines, int) or isinstance(snippet_lines, bool)
                                          or snippet_lines <= 0):
            raise ValueError("snippet_lines must be a positive whole number, not %r" % (snippet_lines,))
        if snippet_lines is not None and _SNIPPET_END in cmd.split("\n"):
            raise ValueError("a ShellFunction with snippet_lines cannot contain the line %s" % _SNIPPET_END)
        self.cmd = cmd
        self.snippet_lines = snippet_lines
        self.name = name or "%s-function" % self.runtime

    @property
    def source(self):
        """The template the endpoint runs."""
        if self.snippet_lines is None:
            return self.cmd
        return ('/bin/sh -c "$(cat <<\'%s\'\n%s\n%s\n)" >.funcx-stdout 2>.funcx-stderr; funcx_rc=$?\n'
                "tail -n %d .funcx-stdout; tail -n %d .funcx-stderr >&2; exit $funcx_rc"
                % (_SNIPPET_END, self.cmd, _SNIPPET_END, self.snippet_lines, self.snippet_lines))

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.cmd)


class MPIFunction(ShellFunction):
    runtime = "mpi"
