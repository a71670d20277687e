/**
 * What happened to every request one autocannon client sent, from the
 * client's own events. autocannon reports answers, connection errors and
 * time-outs, but not a request lost to a connection the server closed: after
 * a response that ends its connection (nginx closes after an error page it
 * makes itself, a server shutting down closes after its last answer) the
 * client writes the next request on that connection at once, and when the
 * close arrives it reconnects and sends another, never reporting the first.
 *
 * A client has one request in flight at a time (no pipelining here), so a
 * request still outstanding when an answer arrives is one lost that way.
 */
export class RequestLedger {
  sent = 0;
  /** Sent, then lost when the server closed the connection; never answered nor reported. */
  lost = 0;
  private outstanding = 0;

  onSent(): void {
    this.sent++;
    this.outstanding++;
  }

  onAnswered(): void {
    this.lost += Math.max(0, this.outstanding - 1);
    this.outstanding = 0;
  }

  /** A connection error or time-out: autocannon counts the request it ended. */
  onFailed(): void {
    this.outstanding = Math.max(0, this.outstanding - 1);
  }

  /**
   * When the client stopped. With a fixed number of requests it stops only
   * after its last answer, so whatever is outstanding was lost; a duration run
   * stops it with up to one request legitimately in flight.
   */
  finish(stoppedMidRequest: boolean): { lost: number; inFlight: number } {
    const inFlight = stoppedMidRequest ? Math.min(1, this.outstanding) : 0;
    this.lost += this.outstanding - inFlight;
    this.outstanding = 0;
    return { lost: this.lost, inFlight };
  }
}
