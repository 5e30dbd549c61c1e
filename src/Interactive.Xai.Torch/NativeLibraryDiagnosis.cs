using System.Collections.Immutable;
using System.Text;

namespace Interactive.Xai.Torch;

/// <summary>One entry of an ELF file's version needs (.gnu.version_r): a symbol version required from a library.</summary>
/// <param name="Library">The library the version is needed from, for example "libstdc++.so.6".</param>
/// <param name="Version">The version name, for example "GLIBCXX_3.4.32".</param>
/// <param name="IsWeak">True when the need is weak (VER_FLG_WEAK): the loader does not refuse the file when it is missing.</param>
public sealed record ElfVersionNeed(string Library, string Version, bool IsWeak);

/// <summary>Why (or whether) a native library's symbol-version needs stop it loading on this system.</summary>
public sealed record NativeLibraryDiagnosis
{
    /// <summary>The library examined (for example libLibTorchSharp.so).</summary>
    public required string LibraryPath { get; init; }

    /// <summary>Every version need in its .gnu.version_r section (empty when it has none or is not an ELF64 file).</summary>
    public required ImmutableArray<ElfVersionNeed> VersionNeeds { get; init; }

    /// <summary>The system libstdc++ consulted, or null when none was found.</summary>
    public string? LibStdCxxPath { get; init; }

    /// <summary>The versions that libstdc++ defines (GLIBCXX_* then CXXABI_*... ordered by name, then numerically).</summary>
    public ImmutableArray<string> LibStdCxxVersions { get; init; } = ImmutableArray<string>.Empty;

    /// <summary>The strong libstdc++ version needs this system's libstdc++ lacks (the ones that stop the load).</summary>
    public ImmutableArray<ElfVersionNeed> MissingLibStdCxxVersions => LibStdCxxPath is null
        ? ImmutableArray<ElfVersionNeed>.Empty
        : VersionNeeds.Where(n => !n.IsWeak && n.Library.StartsWith("libstdc++", StringComparison.Ordinal) && !LibStdCxxVersions.Contains(n.Version)).ToImmutableArray();

    /// <summary>The need for <paramref name="version"/>, or null when the file does not declare it.</summary>
    public ElfVersionNeed? Need(string version) => VersionNeeds.FirstOrDefault(n => n.Version == version);

    /// <summary>The newest GLIBCXX version the system's libstdc++ defines, or null.</summary>
    public string? NewestLibStdCxxVersion => LibStdCxxVersions.LastOrDefault(v => v.StartsWith("GLIBCXX_", StringComparison.Ordinal));
}

/// <summary>Reads what the diagnosis needs from ELF files and from libstdc++ (no native code is loaded).</summary>
internal static class ElfReader
{
    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>The version needs of an ELF64 little-endian file; empty for anything else or a malformed file.</summary>
    public static ImmutableArray<ElfVersionNeed> ReadVersionNeeds(byte[] elf)
    {
        var result = ImmutableArray.CreateBuilder<ElfVersionNeed>();
        if (!VisitVersionNeeds(elf, (library, name, flagsAt) => result.Add(new ElfVersionNeed(library, name, (elf[flagsAt] & 2) != 0))))
            return [];
        return result.ToImmutable();
    }

    /// <summary>
    /// Marks every need for <paramref name="version"/> in <paramref name="elf"/> weak (VER_FLG_WEAK), in place, as the
    /// build step does; returns how many entries changed (0 when there are none or the file is not ELF64).
    /// </summary>
    public static int WeakenVersionNeed(byte[] elf, string version)
    {
        int patched = 0;
        bool wellFormed = VisitVersionNeeds(elf, (_, name, flagsAt) =>
        {
            if (name != version || (elf[flagsAt] & 2) != 0) return;
            elf[flagsAt] |= 2;
            patched++;
        });
        return wellFormed ? patched : 0;
    }

    // Walks the .gnu.version_r sections of an ELF64 little-endian file and calls visit(library, version, offset of the
    // entry's low flags byte) for every version need, in file order. False for anything that is not such a file or is
    // malformed (entries visited before the fault have been visited).
    private static bool VisitVersionNeeds(byte[] elf, Action<string, string, int> visit)
    {
        try
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2 || elf[5] != 1)
                return false;
            long shoff = BitConverter.ToInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
            for (int s = 0; s < shnum; s++)
            {
                int sh = Checked(shoff + (long)s * shentsize, 64, elf);
                if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
                long need = BitConverter.ToInt64(elf, sh + 24);
                int link = BitConverter.ToInt32(elf, sh + 40), count = BitConverter.ToInt32(elf, sh + 44);
                long strtab = BitConverter.ToInt64(elf, Checked(shoff + (long)link * shentsize + 24, 8, elf));
                for (int n = 0; n < count; n++)
                {
                    int at = Checked(need, 16, elf);
                    int auxCount = BitConverter.ToUInt16(elf, at + 2);
                    string library = ReadString(elf, strtab + BitConverter.ToUInt32(elf, at + 4));
                    long aux = need + BitConverter.ToUInt32(elf, at + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        int ax = Checked(aux, 16, elf);
                        visit(library, ReadString(elf, strtab + BitConverter.ToUInt32(elf, ax + 8)), ax + 4);
                        uint next = BitConverter.ToUInt32(elf, ax + 12);
                        if (next == 0) break;
                        aux += next;
                    }
                    uint nextNeed = BitConverter.ToUInt32(elf, at + 12);
                    if (nextNeed == 0) break;
                    need += nextNeed;
                }
            }
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>
    /// The distinct version names libstdc++ defines ("GLIBCXX_3.4.N" and "CXXABI_1.3.N"), found as NUL-terminated
    /// strings in the file, ordered by name then numerically.
    /// </summary>
    public static ImmutableArray<string> ReadLibStdCxxVersions(byte[] library)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        Collect(library, "GLIBCXX_"u8, found);
        Collect(library, "CXXABI_"u8, found);
        return found.OrderBy(v => v, VersionComparer.Instance).ToImmutableArray();
    }

    private static void Collect(ReadOnlySpan<byte> span, ReadOnlySpan<byte> prefix, HashSet<string> found)
    {
        int at = 0;
        while (true)
        {
            int hit = span[at..].IndexOf(prefix);
            if (hit < 0) break;
            int start = at + hit, end = start + prefix.Length;
            while (end < span.Length && (char.IsAsciiDigit((char)span[end]) || span[end] == (byte)'.')) end++;
            // Only whole NUL-terminated version names (not macros or symbol names that share the prefix), preceded by NUL.
            if (end > start + prefix.Length && end < span.Length && span[end] == 0 && char.IsAsciiDigit((char)span[end - 1])
                && (start == 0 || span[start - 1] == 0))
                found.Add(Encoding.ASCII.GetString(span[start..end]));
            at = end;
        }
    }

    private static int Checked(long offset, int length, byte[] file)
    {
        if (offset < 0 || offset + length > file.Length) throw new FormatException("offset outside the file");
        return (int)offset;
    }

    private static string ReadString(byte[] file, long offset)
    {
        int start = Checked(offset, 1, file), end = start;
        while (end < file.Length && file[end] != 0) end++;
        return Encoding.ASCII.GetString(file, start, end - start);
    }

    private sealed class VersionComparer : IComparer<string>
    {
        public static readonly VersionComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            string left = x ?? "", right = y ?? "";
            int byName = string.CompareOrdinal(left[..Math.Max(0, left.IndexOf('_'))], right[..Math.Max(0, right.IndexOf('_'))]);
            if (byName != 0) return byName;
            var a = Parts(left);
            var b = Parts(right);
            for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
            {
                int c = (i < a.Length ? a[i] : -1).CompareTo(i < b.Length ? b[i] : -1);
                if (c != 0) return c;
            }
            return 0;
        }

        private static int[] Parts(string version)
            => version[(version.IndexOf('_') + 1)..].Split('.').Select(p => int.TryParse(p, out int v) ? v : 0).ToArray();
    }
}
