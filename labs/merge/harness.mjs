// Lab merge's harness: runs in the graded child and makes the call itself (run). It builds one
// host with a Machine per guest source, hands the student's createMerger the host's merge kit
// (nestvm's MergeKit), attaches what it returns as the host run's merger (the seam the built-in
// scanner goes through too), runs every guest to its end, and returns plain data about the run:
//
//   consoles, stops       what each guest printed, and how it stopped
//   peakSaved, peakShared the most frames saved, and shared, after any pass (the host's own book)
//   merges, cowBreaks     the book's counters; hashes, writeFaults: the kit's
//   pv                    the first disagreement found after a pass, or at the end, between the
//                         pmap's PV lists and the leaves that map shared frames (and the pmap's
//                         own sweep), or null
//   error, problem        the first throw of the student's code, or of a broken writeFault promise
//
// Full checks are off here, whatever the environment says: the grader sweeps at its own points,
// so a mutant fails the check named for its bug, not an assertion somewhere inside nestvm.
import { HostRun, LAYOUT, Machine, MergeKit, loadGuestBytes, setFullChecks, sharedHost } from 'nestvm';

const PAGE = 4096;

const messageOf = (e) => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/* The student's merger, with its first throw kept (a throw inside a fault arrives wrapped). */
function guarded(student, report) {
  const keep = (what, e) => {
    report.error ??= `${what} threw: ${messageOf(e)}`;
    throw e;
  };
  return {
    pass(pages) {
      try {
        return student.pass(pages);
      } catch (e) {
        return keep('pass', e);
      }
    },
    writeFault(vm, gpa) {
      try {
        return student.writeFault(vm, gpa);
      } catch (e) {
        return keep(`writeFault(${vm}, 0x${gpa.toString(16)})`, e);
      }
    },
  };
}

/* The first disagreement between PV lists and the leaves that map shared frames, or null. */
function pvProblem(host, machines, memBytes) {
  try {
    host.pmap.checkInvariants(host.frames);
  } catch (e) {
    return `the pmap's sweep: ${messageOf(e)}`;
  }
  const expected = new Map();
  for (const [vm, m] of machines.entries()) {
    const gpt = m.vm.vmspace.gpt;
    for (let gpa = LAYOUT.x86_64.ramBase; gpa < memBytes; gpa += PAGE) {
      const leaf = gpt.lookup(gpa);
      if (leaf === null || !host.shares.isShared(leaf.frame)) continue;
      if (!host.pmap.mappings(leaf.frame).includes(leaf.pte))
        return `VM ${vm}'s leaf for gpa 0x${gpa.toString(16)} maps shared frame ${leaf.frame}, whose PV list does not name it`;
      expected.set(leaf.pte, leaf.frame);
    }
  }
  for (let f = 0; f < host.mem.frameCount; f++) {
    if (!host.shares.isShared(f)) continue;
    for (const pte of host.pmap.mappings(f))
      if (expected.get(pte) !== f)
        return `shared frame ${f}'s PV list names the entry at 0x${pte.toString(16)}, which does not map it`;
  }
  return null;
}

async function machinesFor(job) {
  const host = sharedHost(job.sources.length, job.memBytes, {});
  const machines = [];
  for (const [vm, source] of job.sources.entries()) {
    const image = await loadGuestBytes(new TextEncoder().encode(source), `vm${vm}.s`, {
      arch: 'x86_64',
      memBytes: job.memBytes,
    });
    machines.push(new Machine(image, { memBytes: job.memBytes, host, maxInsns: job.maxInsns }));
  }
  return { host, machines };
}

export async function run(createMerger, job) {
  setFullChecks(false);
  const { host, machines } = await machinesFor(job);
  const report = {
    error: null,
    problem: null,
    consoles: [],
    stops: [],
    peakSaved: 0,
    peakShared: 0,
    pv: null,
  };
  try {
    const ranges = machines.map((m) => ({
      space: m.vm.vmspace,
      gpa: LAYOUT.x86_64.ramBase,
      pages: job.memBytes / PAGE,
    }));
    const kit = new MergeKit(ranges, host.shares, host.mem, host.pmap, job.hash);
    const observe = () => {
      report.peakSaved = Math.max(report.peakSaved, host.shares.framesSaved);
      report.peakShared = Math.max(report.peakShared, host.shares.counters.shared);
      report.pv ??= pvProblem(host, machines, job.memBytes);
    };
    try {
      const student = createMerger(kit);
      if (
        student === null ||
        typeof student !== 'object' ||
        typeof student.pass !== 'function' ||
        typeof student.writeFault !== 'function'
      )
        throw new Error('createMerger must return an object with pass(pages) and writeFault(vm, gpa)');
      const merger = kit.attach(guarded(student, report));
      const watched = {
        pass: (pages) => {
          const n = merger.pass(pages);
          observe();
          return n;
        },
      };
      const hostRun = new HostRun(host, machines, {
        interval: job.interval,
        pages: job.pages,
        merger: watched,
      });
      while (!hostRun.done) hostRun.slice();
      observe();
      report.stops = hostRun.stops.map((s) => ({
        reason: s.reason,
        message: s.message ?? null,
        code: s.code,
      }));
    } catch (e) {
      report.error ??= `the run stopped: ${messageOf(e)}`;
    }
    report.problem = kit.problem;
    report.consoles = machines.map((m) => m.console);
    const c = host.shares.counters;
    Object.assign(report, { merges: c.merges, cowBreaks: c.cowBreaks, ...kit.counters });
    return report;
  } finally {
    for (const m of machines) m.close();
  }
}
