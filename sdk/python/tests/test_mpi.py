"""MPIFunction and resource_specification: what the endpoint's $PARSL_MPI_PREFIX becomes.

The endpoint (configured with mpi: {launcher: mpirun}) only echoes the prefix,
so no MPI is needed; test/mpi/ runs real ranks.
"""
import unittest

from funcx_ts import FuncXExecutor, MPIFunction, RemoteException, ResourceSpecificationInvalid, ShellFunction
from tests.support import client, endpoint_id, wait_done

ECHO = MPIFunction('echo "$PARSL_MPI_PREFIX {what}"')


class MPITest(unittest.TestCase):
    def setUp(self):
        self.fxc = client()

    def test_an_mpi_function_registers_as_mpi_and_a_shell_function_as_shell(self):
        record = self.fxc.get_function(self.fxc.register_function(ECHO))
        self.assertEqual((record["runtime"], record["name"], record["source"]), ("mpi", "mpi-function", ECHO.cmd))
        shell = self.fxc.get_function(self.fxc.register_function(ShellFunction("echo {0}", name="echo")))
        self.assertEqual((shell["runtime"], shell["name"]), ("shell", "echo"))

    def test_a_batch_carries_its_resource_specification(self):
        function_id = self.fxc.register_function(ECHO)
        batch = self.fxc.create_batch(serializer="json", resource_specification={"num_ranks": 3, "launcher_options": "-x A"})
        batch.add(endpoint_id=endpoint_id(), function_id=function_id, what="batch")
        [task_id] = self.fxc.batch_run(batch)
        wait_done(self.fxc, task_id)
        self.assertEqual(self.fxc.get_result(task_id)["stdout"], "mpirun -n 3 --host localhost:3 -x A batch\n")

    def test_a_batch_without_one_is_refused_for_an_mpi_function(self):
        batch = self.fxc.create_batch(serializer="json")
        batch.add(endpoint_id=endpoint_id(), function_id=self.fxc.register_function(ECHO), what="bare")
        with self.assertRaises(ResourceSpecificationInvalid) as caught:
            self.fxc.batch_run(batch)
        self.assertEqual(caught.exception.http_status, 400)

    def test_the_executor_sends_its_resource_specification_and_json_for_templates(self):
        with FuncXExecutor(endpoint_id=endpoint_id(), client=self.fxc, resource_specification={"ranks_per_node": 2}) as ex:
            self.assertEqual(ex.submit(ECHO, what="ex").result(timeout=120)["stdout"], "mpirun -n 2 --host localhost:2 ex\n")
            ex.resource_specification = {"num_nodes": 2}
            with self.assertRaises(RemoteException) as caught:
                ex.submit(ECHO, what="too big").result(timeout=120)
            self.assertIn("ResourceSpecificationUnsatisfiable", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
