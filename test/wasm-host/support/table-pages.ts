// Child process of table-pages.test.ts: takes slot-table-sized bytes from alignedBytes and
// reports, from /proc/self (Linux), whether its first byte starts a page and how much of its
// mapping got transparent huge pages. Prints one JSON line.
import { readFileSync, openSync, readSync, closeSync } from 'node:fs';
import { alignedBytes, MAPPED_MIN } from '../../../wasm-host/word-copy';

const PAGE = 4096;
const mapLines = (): string[] => readFileSync('/proc/self/maps', 'utf8').split('\n');

/** Whether the page holding address `addr` is resident (pagemap bit 63). */
const present = (fd: number, addr: bigint): boolean => {
  const entry = Buffer.alloc(8);
  readSync(fd, entry, 0, 8, Number((addr / BigInt(PAGE)) * 8n));
  return entry.readBigUInt64LE(0) >> 63n === 1n;
};

const n = Number(process.argv[2] ?? MAPPED_MIN);
const before = new Set(mapLines());
// argv[3] 'malloc': the calloc'd table even without the tunable (its page start is checked then).
const bytes = alignedBytes(n, process.argv[3] === 'malloc' ? true : undefined);
// The new anonymous read-write mapping that can hold n bytes is the buffer's.
const mine = mapLines()
  .filter((l) => l !== '' && !before.has(l) && l.includes(' rw-p '))
  .map((l) =>
    l
      .split(' ')[0]
      .split('-')
      .map((h) => BigInt(`0x${h}`)),
  )
  .filter(([s, e]) => e - s >= BigInt(n));
if (mine.length !== 1) throw new Error(`expected one new mapping of ${n} bytes, found ${mine.length}`);
const [start] = mine[0];
const fd = openSync('/proc/self/pagemap', 'r');
// Bytes 0 and 4095 of a page-aligned buffer share a page; byte 4096 is on the next one. Only
// meaningful on 4 KiB pages (a huge-page fault makes the whole 2 MiB resident at once).
// A calloc'd table starts one page into its mapping (16 bytes of chunk header, then 4080 skipped).
const first = bytes.byteOffset === 0 ? start : start + BigInt(PAGE);
bytes[0] = 1;
bytes[PAGE - 1] = 1;
const sameFirstPage = present(fd, first) && !present(fd, first + BigInt(PAGE));
bytes[PAGE] = 1;
const nextPage = present(fd, first + BigInt(PAGE));
closeSync(fd);
for (let i = 0; i < n; i += PAGE) bytes[i] = 1; // fault everything in
const smaps = readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/);
// The VMA holding the table: it may have been merged with a neighbouring anonymous mapping of the
// same flags since the maps were read, so it need not start at the table's own start (a full test
// run saw that: no block started there, and the figures read as -1).
const block =
  smaps.find((b) => {
    const [s0, e0] = b
      .split(' ')[0]
      .split('-')
      .map((h) => BigInt(`0x${h}`));
    return s0 <= start && start < e0;
  }) ?? '';
const anonHugeKiB = Number(/AnonHugePages:\s+(\d+) kB/.exec(block)?.[1] ?? -1);
// 'hg' in VmFlags: the mapping was madvise(MADV_HUGEPAGE)d. Whether the kernel then finds free
// 2 MiB pages (AnonHugePages) depends on its memory fragmentation, so tests assert only this.
const madvisedHuge = /VmFlags:.*\bhg\b/.test(block);
const zeroed = bytes.every((x, i) => x === (i % PAGE === 0 || i === PAGE - 1 ? 1 : 0));
console.log(
  JSON.stringify({
    offset: bytes.byteOffset,
    start: start.toString(16),
    sameFirstPage,
    nextPage,
    anonHugeKiB,
    madvisedHuge,
    zeroed,
  }),
);
