"""Fails if a built module uses instructions beyond x86-64's baseline outside the SIMD kernels.

    python tools/check_simd.py MODULE.so [...]

The wheel must run on any x86-64 CPU (issue 10): AVX2 and AVX-512 code is allowed only in the
kernels that cpp/core dispatches to after checking the CPU at run time. This reads the module's
symbol table (it must not be stripped yet) and its disassembly, and lists every function that
uses an instruction newer than SSE2 (any VEX/EVEX-encoded one, ymm/zmm/mask registers, SSE3-4.2,
POPCNT, LZCNT, BMI, MOVBE, ...; not TZCNT, see NEWER), unless it comes from a dispatched kernel:
  - local functions of cpp/core/rsm/gemm_avx2.cpp, gemm_avx512.cpp, cpp/core/lap/kernels_avx2.cpp
    or kernels_avx512.cpp (the linker keeps the STT_FILE symbol each object's locals follow), or
  - global functions in a namespace named avx2 or avx512 (the LAP kernels' entry points),
  - the CPU-feature probe itself (XGETBV).
A shared inline function (a template from a header, a weak symbol) compiled with wider flags in
one of the kernel files and then picked by the linker for everyone would show up here: the
reason why the kernel files get their -m flags per file (cmake/simd_sources.cmake), never per
target. Needs `objdump` (binutils) and pyelftools. Exits 1 and names the functions on failure.
"""

from __future__ import annotations

import bisect
import re
import subprocess
import sys

from elftools.elf.elffile import ELFFile

KERNEL_FILES = {"gemm_avx2.cpp", "gemm_avx512.cpp", "kernels_avx2.cpp", "kernels_avx512.cpp"}
KERNEL_NAMESPACE = re.compile(r"::avx(2|512)::")

# Instructions past SSE2 that compilers emit on their own (SSE3, SSSE3, SSE4.1/4.2, POPCNT,
# LZCNT, BMI1/2, MOVBE ...); anything VEX/EVEX-encoded starts with "v" in AT&T syntax. TZCNT is
# not among them: it is encoded as REP BSF, which CPUs without BMI1 execute as BSF, and compilers
# emit it for the generic x86-64 target where the two agree (a non-zero input).
NEWER = set(
    """
    addsubps addsubpd haddps haddpd hsubps hsubpd lddqu movddup movshdup movsldup
    pabsb pabsw pabsd palignr phaddw phaddd phaddsw phsubw phsubd phsubsw pmaddubsw pmulhrsw
    pshufb psignb psignw psignd
    blendps blendpd blendvps blendvpd dpps dppd extractps insertps movntdqa mpsadbw packusdw
    pblendvb pblendw pcmpeqq pextrb pextrd pextrq phminposuw pinsrb pinsrd pinsrq pmaxsb pmaxsd
    pmaxud pmaxuw pminsb pminsd pminud pminuw pmovsxbd pmovsxbq pmovsxbw pmovsxdq pmovsxwd
    pmovsxwq pmovzxbd pmovzxbq pmovzxbw pmovzxdq pmovzxwd pmovzxwq pmuldq pmulld ptest roundps
    roundpd roundss roundsd pcmpgtq pcmpestri pcmpestrm pcmpistri pcmpistrm crc32
    popcnt lzcnt andn bextr blsi blsmsk blsr bzhi mulx pdep pext rorx sarx shlx shrx
    movbe adcx adox
    """.split()
)
WIDE_REGISTER = re.compile(r"%(ymm|zmm)\d+|%k[0-7]\b")
SUFFIXES = ("l", "q", "w", "b")


def newer_than_baseline(mnemonic: str, operands: str) -> bool:
    if WIDE_REGISTER.search(operands):
        return True
    if mnemonic.startswith("v") and mnemonic not in {"verr", "verw"}:
        return True
    if mnemonic in NEWER:
        return True
    # AT&T size suffixes (popcntl, lzcntq, crc32b ...).
    return mnemonic[-1:] in SUFFIXES and mnemonic[:-1] in NEWER


def functions(path: str) -> tuple[list[int], list[tuple[int, int, str, bool]]]:
    """Functions as (start, end, name, allowed), sorted by start."""
    out = []
    with open(path, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        if symtab is None:
            sys.exit(f"check_simd: {path} is stripped; check it before auditwheel --strip")
        current_file = ""
        for sym in symtab.iter_symbols():
            kind = sym["st_info"]["type"]
            if kind == "STT_FILE":
                current_file = sym.name.rsplit("/", 1)[-1]
                continue
            if kind != "STT_FUNC" or sym["st_size"] == 0 or sym["st_shndx"] == "SHN_UNDEF":
                continue
            local = sym["st_info"]["bind"] == "STB_LOCAL"
            allowed = (local and current_file in KERNEL_FILES) or bool(
                KERNEL_NAMESPACE.search(demangle(sym.name))
            )
            out.append((sym["st_value"], sym["st_value"] + sym["st_size"], sym.name, allowed))
    out.sort()
    return [s for s, *_ in out], out


_demangled: dict[str, str] = {}


def demangle(name: str) -> str:
    return _demangled.get(name, name)


def load_demangled(path: str) -> None:
    """Mangled -> demangled names of every symbol, via binutils (no Python demangler needed)."""
    raw = subprocess.run(["nm", path], capture_output=True, text=True, check=True).stdout
    pretty = subprocess.run(["nm", "-C", path], capture_output=True, text=True, check=True).stdout
    for a, b in zip(raw.splitlines(), pretty.splitlines()):
        pa, pb = a.split(" ", 2), b.split(" ", 2)
        if len(pa) == 3 and len(pb) == 3:
            _demangled[pa[2]] = pb[2]


def check(path: str) -> list[str]:
    load_demangled(path)
    starts, funcs = functions(path)
    dis = subprocess.run(
        ["objdump", "-d", "--no-show-raw-insn", "-w", path], capture_output=True, text=True, check=True
    ).stdout
    line_re = re.compile(r"^\s*([0-9a-f]+):\s+(?:\{\w+\}\s+)?(?:(?:rex\.?\w*|lock|rep\w*|data16|notrack|bnd|cs|ds|es|ss)\s+)*([a-z][\w.]*)\s*(.*)$")
    bad: dict[str, str] = {}
    for line in dis.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        addr, mnemonic, operands = int(m.group(1), 16), m.group(2), m.group(3)
        if not newer_than_baseline(mnemonic, operands):
            continue
        if mnemonic in {"xgetbv"}:  # the CPU-feature probe (cpu_features.cpp)
            continue
        i = bisect.bisect_right(starts, addr) - 1
        if i >= 0 and funcs[i][0] <= addr < funcs[i][1]:
            name, allowed = funcs[i][2], funcs[i][3]
        else:
            name, allowed = f"<no symbol at {addr:#x}>", False
        if not allowed and name not in bad:
            bad[name] = f"{mnemonic} {operands}".strip()
    return [f"{demangle(n)}: {insn}" for n, insn in bad.items()]


def main(paths: list[str]) -> int:
    status = 0
    for path in paths:
        with open(path, "rb") as f:
            if ELFFile(f).get_machine_arch() != "x64":
                print(f"check_simd: {path}: not x86-64, nothing to check")
                continue
        bad = check(path)
        if bad:
            status = 1
            print(f"check_simd: {path}: {len(bad)} function(s) outside the dispatched kernels "
                  "use instructions beyond x86-64 baseline:")
            for b in bad[:50]:
                print("  " + b)
        else:
            print(f"check_simd: {path}: only the dispatched kernels use instructions beyond SSE2")
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
