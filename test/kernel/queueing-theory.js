// Queueing theory the checks compare meshsim (and the bench's peers) with: one Erlang C for the
// kernel's M/M/c tests, the capacity search's closed-form answer and the bench's M/M/4 model.
// Kleinrock, Queueing Systems vol. 1 (1975), §3.5.

/**
 * Erlang C: the probability that an arrival waits in an M/M/c queue with offered load
 * a = lambda / mu (a < c).
 * @param {number} c @param {number} a @returns {number}
 */
export function erlangC(c, a) {
  let term = 1; // a^k / k!
  let below = 0; // the sum over k < c
  for (let k = 0; k < c; k++) {
    below += term;
    term *= a / (k + 1);
  }
  const waiting = term / (1 - a / c); // a^c / c! · 1 / (1 - rho)
  return waiting / (below + waiting);
}
