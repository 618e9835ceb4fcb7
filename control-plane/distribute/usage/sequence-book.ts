/**
 * The highest usage-report sequence accepted per node, so a replayed or duplicated report (a proxy
 * resending after a reconnect) is dropped instead of counted twice. A sequence is claimed before
 * the sink write and committed after it, so two streams of one node cannot both write it; a failed
 * write releases the claim and the proxy's retry is accepted. Kept in memory: after a control-plane
 * restart the first report of each node is accepted whatever its sequence.
 */
interface NodeSequence {
  accepted: number;
  claimed: number;
  lastAtMs: number;
}

export class SequenceBook {
  private readonly nodes = new Map<string, NodeSequence>();

  accepted(nodeId: string): number {
    return this.nodes.get(nodeId)?.accepted ?? 0;
  }

  /** False when `sequence` is not above everything accepted or being written for the node. */
  claim(nodeId: string, sequence: number): boolean {
    let n = this.nodes.get(nodeId);
    if (!n) {
      n = { accepted: 0, claimed: 0, lastAtMs: 0 };
      this.nodes.set(nodeId, n);
    }
    if (sequence <= Math.max(n.accepted, n.claimed)) return false;
    n.claimed = sequence;
    return true;
  }

  commit(nodeId: string, sequence: number, atMs: number): void {
    const n = this.nodes.get(nodeId)!;
    n.accepted = Math.max(n.accepted, sequence);
    n.lastAtMs = atMs;
  }

  release(nodeId: string, sequence: number): void {
    const n = this.nodes.get(nodeId);
    if (n && n.claimed === sequence) n.claimed = n.accepted;
  }

  snapshot(): { nodeId: string; acceptedSequence: number; lastReportAtMs: number }[] {
    return [...this.nodes].map(([nodeId, n]) => ({
      nodeId,
      acceptedSequence: n.accepted,
      lastReportAtMs: n.lastAtMs,
    }));
  }
}
