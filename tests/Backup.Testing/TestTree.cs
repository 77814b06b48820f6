using System.Text;

namespace Backup.Testing;

/// <summary>Builds small trees for tests: files with given content, modes and times, directories and symlinks.</summary>
public sealed class TestTree(string root)
{
    public string Root { get; } = root;

    public TestTree File(string relative, string content, UnixFileMode? mode = null) => File(relative, Encoding.UTF8.GetBytes(content), mode);

    public TestTree File(string relative, byte[] content, UnixFileMode? mode = null)
    {
        var path = Path.Join(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllBytes(path, content);
        if (mode is { } m)
        {
            System.IO.File.SetUnixFileMode(path, m);
        }
        return this;
    }

    public TestTree Dir(string relative)
    {
        Directory.CreateDirectory(Path.Join(Root, relative));
        return this;
    }

    public TestTree Link(string relative, string target)
    {
        var path = Path.Join(Root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        System.IO.File.CreateSymbolicLink(path, target);
        return this;
    }

    /// <summary>Random bytes from a fixed seed: incompressible content that is the same on every run.</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Source-code-like text: compressible content.</summary>
    public static byte[] Text(int length, int seed)
    {
        string[] words = ["int", "void", "return", "static", "class", "public", "if", "else", "for", "while", "var", "new"];
        var random = new Random(seed);
        var sb = new StringBuilder(length + 16);
        while (sb.Length < length)
        {
            sb.Append(words[random.Next(words.Length)]).Append(random.Next(8) == 0 ? ";\n" : " ");
        }
        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }
}
