using System.Text.Json;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary>
/// Hard links, extended attributes and names that are not UTF-8, backed up into a repository and restored through the
/// real executable; every check of the restored tree is made by Python's os module, not by the code under test.
/// </summary>
public sealed class RepositoryMetadataTests
{
    // A POSIX ACL in the kernel's xattr form (version 2; entries tag, perm, id): user::rw-, user:1000:r--, group::r--,
    // mask::r--, other::---.
    private const string AclBytes =
        "struct.pack('<I', 2) + b''.join(struct.pack('<HHI', t, p, i) for t, p, i in "
        + "[(1, 6, 0xFFFFFFFF), (2, 4, 1000), (4, 4, 0xFFFFFFFF), (0x10, 4, 0xFFFFFFFF), (0x20, 0, 0xFFFFFFFF)])";

    [Fact]
    public void RunThenRestore_HardLinks_RestoredAsOneInodeWithItsLinkCount()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src)
            .File("a/one", TestTree.RandomBytes(700_000, 1))
            .File("pair/x", "a pair")
            .File("single", "one name")
            .File("half", "my other link is outside the tree");
        Python("""
            import os, sys
            src, outside = os.fsencode(sys.argv[1]), os.fsencode(sys.argv[2])
            os.makedirs(src + b'/b/deeper')
            os.link(src + b'/a/one', src + b'/a/two')
            os.link(src + b'/a/one', src + b'/b/deeper/three')
            os.link(src + b'/pair/x', src + b'/pair/y')
            os.link(src + b'/half', outside)
            """, src, world.Join("outside-link"));
        world.Init();
        world.Add(src);

        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());
        var target = world.Restore(snapshot.Id);

        TreeAssert.Identical(src, target);
        var restored = Manifest(target);
        Assert.Equal(Groups(Manifest(src), "half"), Groups(restored));
        Assert.Equal(3, restored["a/one"].Links);
        Assert.Equal(3, restored["b/deeper/three"].Links);
        Assert.Equal(2, restored["pair/y"].Links);
        Assert.Equal(1, restored["half"].Links);
        Assert.Equal(1, restored["single"].Links);
    }

    [Fact]
    public void Restore_IncludeOnlyPartOfAHardLinkGroup_FirstIncludedPathWrittenTheOthersLinkedToIt()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("a/one", "shared content").Dir("b");
        Python("""
            import os, sys
            src = os.fsencode(sys.argv[1])
            os.link(src + b'/a/one', src + b'/b/two')
            os.link(src + b'/a/one', src + b'/b/three')
            """, src);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());

        var target = world.Restore(snapshot.Id, "--include", "b/*");

        var restored = Manifest(target);
        Assert.Equal(["b", "b/three", "b/two"], restored.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(restored["b/two"].Inode, restored["b/three"].Inode);
        Assert.Equal(2, restored["b/two"].Links);
        Assert.Equal("shared content", File.ReadAllText(Path.Join(target, "b", "two")));
    }

    [Fact]
    public void RunThenRestore_Xattrs_RestoredOnFilesAndDirectoriesAclsIncluded()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("plain.txt", "no attributes").File("tagged.bin", TestTree.RandomBytes(5000, 2)).Dir("dir/sub").File("dir/sub/f", "x")
            .Link("link", "tagged.bin");
        Python($"""
            import os, sys, struct
            src = os.fsencode(sys.argv[1])
            os.setxattr(src + b'/tagged.bin', 'user.comment', b'hello')
            os.setxattr(src + b'/tagged.bin', 'user.binary', bytes(range(256)))
            os.setxattr(src + b'/tagged.bin', 'user.empty', b'')
            os.setxattr(src + b'/tagged.bin', 'trusted.backup-test', b'root only')
            os.setxattr(src + b'/dir', 'user.dir', b'on a directory')
            os.setxattr(src + b'/dir/sub/f', 'system.posix_acl_access', {AclBytes})
            os.setxattr(src + b'/dir/sub', 'system.posix_acl_default', {AclBytes})
            """, src);
        world.Init();
        world.Add(src);

        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());
        var target = world.Restore(snapshot.Id);

        TreeAssert.Identical(src, target);
        var want = Manifest(src);
        var got = Manifest(target);
        foreach (var (path, entry) in want)
        {
            Assert.True(entry.Xattrs.SequenceEqual(got[path].Xattrs), $"{path}: expected [{string.Join(", ", entry.Xattrs)}], got [{string.Join(", ", got[path].Xattrs)}]");
        }
        Assert.Contains("user.binary", got["tagged.bin"].Xattrs.Keys);
        Assert.Contains("system.posix_acl_access", got["dir/sub/f"].Xattrs.Keys);
        Assert.Empty(got["plain.txt"].Xattrs);
    }

    [Fact]
    public void Diff_OnlyAnAttributeChanged_ShowsTheFileModified()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("tagged", "same content").File("untouched", "u");
        Python("import os, sys; os.setxattr(os.fsencode(sys.argv[1]) + b'/tagged', 'user.v', b'1')", src);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        Python("import os, sys; os.setxattr(os.fsencode(sys.argv[1]) + b'/tagged', 'user.v', b'2')", src);
        new TestTree(src).File("added", "so that the tree's hash changes"); // an attribute alone does not change it

        world.Expect(0, "run");
        var snapshots = world.Snapshots();
        var diff = world.Expect(0, "diff", snapshots[0].Id, snapshots[1].Id).Output;

        var tagged = diff.Split('\n').Where(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, "tagged", ..]).ToList();
        Assert.True(tagged is [['M', ..]], diff);
        Assert.DoesNotContain("untouched", diff, StringComparison.Ordinal);
    }

    [Fact]
    public void Restore_XattrNotPermitted_WarnsAndRestoresEverythingElse()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("f", "content");
        Python("""
            import os, sys
            f = os.fsencode(sys.argv[1]) + b'/f'
            os.setxattr(f, 'user.kept', b'yes')
            os.setxattr(f, 'trusted.refused', b'root only')
            """, src);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());
        world.RunAsNobody();

        var target = world.Join("as-nobody");
        var restore = world.Expect(0, "restore", snapshot.Id, "--target", target);

        Assert.Contains("warning: could not set extended attribute trusted.refused on f", restore.Error, StringComparison.Ordinal);
        var got = Manifest(target)["f"];
        Assert.Equal("yes"u8.ToArray(), Convert.FromHexString(got.Xattrs["user.kept"]));
        Assert.DoesNotContain("trusted.refused", got.Xattrs.Keys);
        Assert.Equal("content", File.ReadAllText(Path.Join(target, "f")));
    }

    [Fact]
    public void RunThenRestore_NamesNotUtf8_StoredAndRestoredWithTheirExactBytes()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("good.txt", "kept");
        Python("""
            import os, sys
            src = os.fsencode(sys.argv[1])
            open(src + b'/caf\xe9.txt', 'wb').write(b'latin-1 name')
            os.makedirs(src + b'/dir\xff/sub\xfe')
            open(src + b'/dir\xff/inner', 'wb').write(b'below a bad directory')
            open(src + b'/dir\xff/sub\xfe/deep\x80', 'wb').write(b'deeper')
            os.symlink(b'caf\xe9.txt', src + b'/link\xfd')
            os.link(src + b'/caf\xe9.txt', src + b'/dir\xff/hard\xe9')
            os.setxattr(src + b'/dir\xff/inner', 'user.x', b'1')
            """, src);
        world.Init();
        world.Add(src);

        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());
        Assert.True(snapshot.Complete);
        Assert.Equal(5, snapshot.Files);
        var ls = world.Expect(0, "ls", snapshot.Id);
        var target = world.Restore(snapshot.Id);

        Assert.Contains(@"dir\xff/sub\xfe/deep\x80", ls.Output, StringComparison.Ordinal);
        TreeAssert.Identical(src, target);
        var want = Manifest(src);
        var got = Manifest(target);
        Assert.Equal(want.Keys.Order(StringComparer.Ordinal), got.Keys.Order(StringComparer.Ordinal));
        Assert.Contains(@"b'dir\xff/sub\xfe/deep\x80'", got.Keys);
        Assert.Equal(got[@"b'caf\xe9.txt'"].Inode, got[@"b'dir\xff/hard\xe9'"].Inode);
        Assert.Equal("31", got[@"b'dir\xff/inner'"].Xattrs["user.x"]);
        Assert.Equal("b'caf\\xe9.txt'", Python("import os, sys; print(os.readlink(os.fsencode(sys.argv[1]) + b'/link\\xfd'))", target).Trim());
    }

    [Fact]
    public void Restore_NameNotUtf8IncludedByPattern_RestoresIt()
    {
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("other.txt", "left out");
        Python("import os, sys; os.makedirs(os.fsencode(sys.argv[1]) + b'/d\\xe9'); open(os.fsencode(sys.argv[1]) + b'/d\\xe9/f', 'wb').write(b'in')", src);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());

        var target = world.Restore(snapshot.Id, "--include", "d?");

        Assert.Equal([@"b'd\xe9'", @"b'd\xe9/f'"], Manifest(target).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Restore_AsRoot_GivesBackNumericOwnersAndTheSetuidBitOnlyWithIt()
    {
        Assert.True(Environment.IsPrivilegedProcess, "the end-to-end tests run as root (CI does)");
        using var world = new RepositoryProcess();
        var src = world.Join("src");
        new TestTree(src).File("bin/tool", "#!/bin/sh\n").File("data/plain", "x").Link("data/link", "plain");
        Python("""
            import os, sys
            src = sys.argv[1]
            os.chown(src + '/bin/tool', 1234, 5678)
            os.chmod(src + '/bin/tool', 0o4755)
            os.chown(src + '/data', 2222, 3333)
            os.lchown(src + '/data/link', 4444, 5555)
            """, src);
        world.Init();
        world.Add(src);
        world.Expect(0, "run");
        var snapshot = Assert.Single(world.Snapshots());

        var target = world.Restore(snapshot.Id);

        const string Listing = """
            import os, sys
            for rel in ['bin/tool', 'data', 'data/link', 'data/plain']:
                st = os.lstat(os.path.join(sys.argv[1], rel))
                print(rel, st.st_uid, st.st_gid, oct(st.st_mode & 0o7777))
            """;
        var expected = Python(Listing, src);
        Assert.StartsWith("bin/tool 1234 5678 0o4755\ndata 2222 3333 ", expected, StringComparison.Ordinal);
        Assert.Contains("data/link 4444 5555 ", expected, StringComparison.Ordinal);
        Assert.Equal(expected, Python(Listing, target));
    }

    /// <summary>What Python's os module sees of every entry below <paramref name="root"/>, keyed by relative path (repr of the bytes when not UTF-8).</summary>
    private static Dictionary<string, Entry> Manifest(string root)
    {
        var json = Python("""
            import json, os, sys
            root = os.fsencode(sys.argv[1])
            out = {}
            for parent, dirs, files in os.walk(root):
                for name in dirs + files:
                    path = os.path.join(parent, name)
                    rel = os.path.relpath(path, root)
                    try:
                        key = rel.decode('utf-8')
                    except UnicodeDecodeError:
                        key = repr(rel)
                    st = os.lstat(path)
                    xattrs = {x: os.getxattr(path, x, follow_symlinks=False).hex() for x in sorted(os.listxattr(path, follow_symlinks=False))}
                    out[key] = {'inode': st.st_ino, 'links': st.st_nlink, 'dir': os.path.isdir(path) and not os.path.islink(path), 'xattrs': xattrs}
            print(json.dumps(out))
            """, root);
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateObject().ToDictionary(
            p => p.Name,
            p => new Entry(
                p.Value.GetProperty("inode").GetInt64(),
                p.Value.GetProperty("links").GetInt32(),
                p.Value.GetProperty("dir").GetBoolean(),
                p.Value.GetProperty("xattrs").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!)),
            StringComparer.Ordinal);
    }

    /// <summary>The sets of non-directory paths that share an inode, as sorted text, leaving out <paramref name="except"/>.</summary>
    private static string[] Groups(Dictionary<string, Entry> manifest, params string[] except) =>
        [.. manifest.Where(e => !e.Value.Directory && !except.Contains(e.Key))
            .GroupBy(e => e.Value.Inode)
            .Where(g => g.Count() > 1)
            .Select(g => string.Join(" = ", g.Select(e => e.Key).Order(StringComparer.Ordinal)))
            .Order(StringComparer.Ordinal)];

    private static string Python(string script, params string[] args) =>
        ArchiveFolder.Python(string.Join('\n', script.Split('\n').Select(l => l.TrimEnd())), args);

    private sealed record Entry(long Inode, int Links, bool Directory, Dictionary<string, string> Xattrs);
}
