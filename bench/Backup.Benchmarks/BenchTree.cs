using System.Text;

namespace Backup.Benchmarks;

/// <summary>
/// Deterministic trees for the benchmarks, built in a fresh temporary directory: the same seed gives the same bytes, so
/// figures from two runs or two machines compare.
/// </summary>
internal static class BenchTree
{
    private static readonly string[] s_words =
        "int void return static class public private async await var new if else for while foreach using namespace string bool".Split(' ');

    /// <summary>A new, empty temporary directory whose name starts with <paramref name="prefix"/>.</summary>
    public static string CreateTempDirectory(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    /// <summary>
    /// <paramref name="files"/> small files (100 to 4,000 bytes of text) spread over directories of 100 files, two
    /// levels deep, like a source tree or node_modules: what a dirhash walk meets.
    /// </summary>
    public static void WriteManySmallFiles(string root, int files, int seed)
    {
        var random = new Random(seed);
        for (var i = 0; i < files; i++)
        {
            var dir = Path.Join(root, $"pkg{i / 1000:D2}", $"mod{i / 100 % 10:D2}");
            if (i % 100 == 0)
            {
                Directory.CreateDirectory(dir);
            }
            File.WriteAllBytes(Path.Join(dir, $"file{i:D5}.js"), Text(random, random.Next(100, 4000)));
        }
    }

    /// <summary>
    /// About <paramref name="totalBytes"/> of files, half compressible text and half random bytes, with sizes from 4 KiB to
    /// 4 MiB: the mix that decides whether compression or I/O dominates an archive run.
    /// </summary>
    public static void WriteMixedFiles(string root, long totalBytes, int seed)
    {
        var random = new Random(seed);
        long written = 0;
        for (var i = 0; written < totalBytes; i++)
        {
            var size = (int)Math.Min(4L << 20, 4096L << random.Next(0, 11));
            var dir = Path.Join(root, i % 2 == 0 ? "text" : "blobs", $"d{i % 7}");
            Directory.CreateDirectory(dir);
            byte[] data;
            if (i % 2 == 0)
            {
                data = Text(random, size);
            }
            else
            {
                data = new byte[size];
                random.NextBytes(data);
            }
            File.WriteAllBytes(Path.Join(dir, $"f{i:D4}.bin"), data);
            written += size;
        }
    }

    private static byte[] Text(Random random, int size)
    {
        var text = new StringBuilder(size + 64);
        while (text.Length < size)
        {
            for (var w = random.Next(3, 12); w > 0; w--)
            {
                text.Append(s_words[random.Next(s_words.Length)]).Append(' ');
            }
            text.Append(";\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString(0, size));
    }
}
