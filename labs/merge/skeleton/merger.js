// Lab merge: same-page merging across VMs. Read README.md first.
//
// The host run calls what createMerger returns: pass(pages) between slices, and writeFault(vm,
// gpa) when a guest writes to a page you merged. `host` is nestvm's merge kit (MergeKit): every
// step you need is one of its methods, and the handout lists them. Frames and PTE locations are
// plain numbers; gpa is a guest-physical page address of a VM's RAM.

const PAGE = 4096;

/**
 * @param {import('nestvm').MergeKit} host
 * @returns {{ pass(pages: number): number, writeFault(vm: number, gpa: number): void }}
 */
export function createMerger(host) {
  // TODO: your scanner's state: a cursor over every VM's RAM pages (host.vms, host.ramBase(vm),
  // host.ramPages(vm)), and tables from host.hash values to pages or shared frames.

  /** Whether frames a and b hold the same 4096 bytes (host.words). */
  function same(a, b) {
    throw new Error('TODO: same');
  }

  /** Move page gpa of VM vm onto the shared frame `shared`: its leaf without write, its PV entry, the page itself. */
  function remap(vm, gpa, shared) {
    throw new Error('TODO: remap');
  }

  return {
    /** Look at up to `pages` candidate pages, merge the ones that are the same; return how many joined. */
    pass(pages) {
      throw new Error('TODO: pass');
    },

    /** The guest of VM vm wrote to page gpa, which uses a shared frame: copy on write. */
    writeFault(vm, gpa) {
      throw new Error('TODO: writeFault');
    },
  };
}
