/**
 * Lets the long-polls a request has just woken write their answers before the request writes its own.
 *
 * On a lone round trip the woken poll's answer is the one someone is waiting for: a submit hands
 * its task to the agent's waiting lease poll, and a results post finishes the client's waiting
 * `tasks/wait`. The request's own answer is not: the submitter's next step is a wait that only
 * parks, and the agent's results post only clears its outbox. Without this the service wrote the
 * request's answer first and the woken one after it (seen with strace: the submit's answer, then
 * the lease answer; the results answer, then the wait's), each a `writev` and its share of the
 * event loop ahead of the task's own way. A woken poll's look runs on promise callbacks, and on
 * SQLite its reads finish within them, so one turn of the event loop (setImmediate runs after
 * every pending promise callback) is enough; on MySQL the look waits for its read and the order
 * is what it was.
 */
export function wokenAnswersFirst(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
