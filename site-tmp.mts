import { loadGuest } from '/work/wt-inspect/emulator/loaders/index.js';
import { Machine } from '/work/wt-inspect/emulator/machine.js';
import { EventLog } from '/work/wt-inspect/mmu/events.js';
const guest = process.argv[2];
const img = await loadGuest(guest, { memBytes: 16 << 20 });
const log = new EventLog<any>();
const m = new Machine(img, { memBytes: 16 << 20, sink: log });
m.run();
const evs = log.events.filter((e) => e.type === 'fill' || e.type === 'fault');
let bad = 0, n = 0;
for (const e of evs.slice(0, 400)) {
  n++;
  const m2 = new Machine(img, { memBytes: 16 << 20, maxInsns: e.insns > 0 ? e.insns : undefined });
  const s = e.insns > 0 ? m2.run() : null;
  const pc = s ? Number(s.pc) : img.entry;
  if (pc !== e.pc) { bad++; if (bad < 8) console.log('mismatch', e.type, e.access, 'ev pc', e.pc.toString(16), 'insns', e.insns, 'stop pc', pc.toString(16)); }
  m2.close();
}
console.log(guest, 'checked', n, 'bad', bad, 'of', evs.length);
