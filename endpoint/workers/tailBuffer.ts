/**
 * Keeps the last `cap` bytes of a stream (a command's tail is where its
 * errors are) and counts what was dropped, without holding more than about
 * one chunk beyond the cap.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly cap: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.kept += chunk.length;
    while (this.chunks.length > 1 && this.kept - this.chunks[0].length >= this.cap) {
      this.kept -= this.chunks.shift()!.length;
    }
  }

  /** The kept text; when bytes were dropped it starts with a note saying how many. */
  text(): string {
    const all = Buffer.concat(this.chunks);
    if (this.total <= this.cap) return all.toString('utf8');
    let tail = all.subarray(all.length - this.cap);
    // Start on a character boundary: skip UTF-8 continuation bytes the cut split.
    let skip = 0;
    while (skip < Math.min(3, tail.length) && (tail[skip] & 0xc0) === 0x80) skip += 1;
    tail = tail.subarray(skip);
    const dropped = this.total - tail.length;
    return `[funcX: output cut: the first ${dropped} bytes were dropped, the last ${tail.length} follow]\n${tail.toString('utf8')}`;
  }
}
