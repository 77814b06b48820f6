using Backup.Core.Archiving.Trees;
using Backup.Core.Encryption;
using Backup.Core.Posix;
using Backup.Core.Repositories;
using Backup.Core.Restore;
using Backup.Core.Snapshots;
using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Snapshots;

public class SubtreeIndexTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public void Encode_ThenAddEncoded_KeepsEveryEntry()
    {
        var index = new SubtreeIndex();
        for (var i = 0; i < SubtreeIndex.EntriesPerBlob + 10; i++)
        {
            index.Add(SubtreeIndex.KeyOf(BitConverter.GetBytes(i)), (UInt128)i * 7, new ChunkId((ulong)i, 2, 3, 4));
        }

        var blobs = index.Encode().ToList();
        var decoded = new SubtreeIndex();
        blobs.ForEach(b => decoded.AddEncoded(b));

        // Cut after keys whose low 10 bits are zero: about 1,024 entries a blob.
        Assert.InRange(blobs.Count, 40, 100);
        Assert.All(blobs, b => Assert.True((b.Length - 1) / 64 <= SubtreeIndex.EntriesPerBlob));
        Assert.Equal(index.Count, decoded.Count);
        Assert.Equal(new ChunkId(5, 2, 3, 4), decoded.Find(SubtreeIndex.KeyOf(BitConverter.GetBytes(5)), 35));
        Assert.Null(decoded.Find(SubtreeIndex.KeyOf(BitConverter.GetBytes(5)), 36));
    }

    [Fact]
    public void Encode_OneDirectoryChangedOrAdded_ChangesOneOrTwoBlobs()
    {
        var index = new SubtreeIndex();
        for (var i = 0; i < 20_000; i++)
        {
            index.Add(SubtreeIndex.KeyOf(BitConverter.GetBytes(i)), (UInt128)i, new ChunkId((ulong)i, 2, 3, 4));
        }
        var before = index.Encode().Select(Convert.ToBase64String).ToHashSet();

        index.Add(SubtreeIndex.KeyOf(BitConverter.GetBytes(77)), 12345, new ChunkId(9, 9, 9, 9));
        var changed = index.Encode().Select(Convert.ToBase64String).ToList();
        index.Add(SubtreeIndex.KeyOf("a new directory"u8), 1, new ChunkId(1, 1, 1, 1));
        var added = index.Encode().Select(Convert.ToBase64String).ToList();

        Assert.Single(changed, b => !before.Contains(b));
        Assert.InRange(added.Count(b => !changed.Contains(b)), 1, 2);
    }

    [Fact]
    public void AddEncoded_TornOrUnknown_ThrowsInvalidData()
    {
        var index = new SubtreeIndex();
        index.Add(1, 2, new ChunkId(1, 2, 3, 4));
        var one = index.Encode().Single();

        Assert.Throws<InvalidDataException>(() => new SubtreeIndex().AddEncoded(one.AsSpan(0, one.Length - 1)));
        Assert.Throws<InvalidDataException>(() => new SubtreeIndex().AddEncoded([2, .. one.AsSpan(1)]));
        Assert.Empty(new SubtreeIndex().Encode());
    }

    public static TheoryData<string> Changes => ["mode", "uid", "mtime", "ctime", "size", "inode", "device", "name", "target", "subtree"];

    [Theory]
    [MemberData(nameof(Changes))]
    public void Digest_AnyMetadataChange_ChangesIt(string change)
    {
        var status = new FileStatus(0x81A4, 10, 1_000, 2_000, 42, 7, 1000, 1000);
        var entry = new TreeEntry("d/f"u8.ToArray(), "d/f", "/x/d/f", status, "t"u8.ToArray());
        var changed = change switch
        {
            "mode" => entry with { Status = status with { Mode = 0x81ED } },
            "uid" => entry with { Status = status with { Uid = 0 } },
            "mtime" => entry with { Status = status with { MtimeNs = 1_001 } },
            "ctime" => entry with { Status = status with { CtimeNs = 2_001 } },
            "size" => entry with { Status = status with { Size = 11 } },
            "inode" => entry with { Status = status with { Inode = 43 } },
            "device" => entry with { Status = status with { Device = 8 } },
            "target" => entry with { LinkTarget = "u"u8.ToArray() },
            _ => entry,
        };
        var name = change == "name" ? "g"u8.ToArray() : "f"u8.ToArray();
        UInt128? subtree = change == "subtree" ? 1 : null;

        Assert.NotEqual(DigestOf(entry, "f"u8.ToArray(), null), DigestOf(changed, name, subtree));
        Assert.Equal(DigestOf(entry, "f"u8.ToArray(), null), DigestOf(entry, "f"u8.ToArray(), null));
    }

    [Fact]
    public async Task Archive_DeepChange_IsStoredAndUnchangedDirectoriesAreReusedUnread()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source)
            .File("a/x/y/deep.txt", "version one")
            .File("a/x/side.txt", "side")
            .File("b/c/other.txt", TestTree.Text(100_000, 3))
            .File("b/d/e.txt", "e")
            .Link("b/link", "c/other.txt");
        await Backup.Testing.LocalRepository.InitAsync(temp.Join("repo"), "pw", s_cheap, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(temp.Join("repo"), "pw", CancellationToken.None);
        await new RepositoryArchiver(repository).ArchiveAsync(source, "h1", CancellationToken.None);
        var (_, first) = (await repository.ListSnapshotsAsync(CancellationToken.None)).Single();
        // Same size, same mtime: only the ctime (and the content) tell that it changed.
        var deep = temp.Join("src", "a", "x", "y", "deep.txt");
        var before = PosixFile.Lstat(deep);
        File.WriteAllText(deep, "version two");
        PosixFile.SetModificationTime(deep, before.MtimeNs);
        var after = PosixFile.Lstat(deep);
        Assert.Equal((before.Size, before.MtimeNs, before.Inode), (after.Size, after.MtimeNs, after.Inode));

        var problems = new List<TreeProblem>();
        using var builder = new SnapshotTreeBuilder(
            new RepositoryArchiver.TreeBuilderRepository(repository), ChunkId.Parse(first.Tree), await SubtreeIndex.LoadAsync(repository, first, CancellationToken.None), problems.Add);
        var root = await builder.BuildAsync(TreeWalker.Walk(source, builder.Report, CancellationToken.None), CancellationToken.None);
        await repository.FlushAsync(CancellationToken.None);

        Assert.Empty(problems);
        // b, b/c and b/d are unchanged; a, a/x, a/x/y and the root are not.
        Assert.Equal(3, builder.ReusedSubtrees);
        Assert.Equal(7, builder.Index.Count);
        var entries = await new SnapshotReader(repository).ListAsync(root, CancellationToken.None);
        var plan = RestorePlan.Create(entries, []);
        await new RestoreExecutor(new RestoreOptions()).RestoreAsync(plan, new SnapshotReader(repository), temp.Join("out"), CancellationToken.None);
        TreeAssert.Identical(source, temp.Join("out"));
        Assert.Equal("version two", File.ReadAllText(temp.Join("out", "a", "x", "y", "deep.txt")));
    }

    [Fact]
    public void Digest_OfAListingLongerThanItsBuffer_IsSha256OverTheDocumentedRecords()
    {
        // The records are gathered in a buffer and hashed at once; a listing longer than the buffer is hashed in parts.
        // Either way the digest is docs/repository.md's: SHA-256 over the prefix and every record, cut to 16 bytes.
        using var temp = new TempDirectory();
        var tree = new TestTree(temp.Path);
        for (var i = 0; i < 1500; i++)
        {
            tree.File($"entry-with-a-rather-long-name-{i:D5}.txt", "x");
        }
        tree.Link("a-link", "entry-with-a-rather-long-name-00001.txt");
        var entries = TreeWalker.Walk(temp.Path, _ => { }, CancellationToken.None).ToList();
        Assert.True(entries.Sum(e => 61 + e.RelativePathBytes.Length) > SubtreeDigest.BufferSize);

        using var digest = new SubtreeDigest();
        using var reference = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        reference.AppendData("backup subtree digest v1\n"u8);
        foreach (var entry in entries)
        {
            digest.Add(entry, entry.RelativePathBytes, null);
            var record = new byte[61];
            var s = entry.Status;
            record[0] = (byte)entry.Type;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(1), entry.RelativePathBytes.Length);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(5), s.Mode);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(9), s.Uid);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(13), s.Gid);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(17), s.MtimeNs);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(25), s.CtimeNs);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(33), entry.Type == FileType.File ? s.Size : 0);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(41), s.Inode);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(49), s.Device);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(record.AsSpan(57), entry.LinkTarget?.Length ?? -1);
            reference.AppendData(record);
            reference.AppendData(new byte[16]); // no child digest
            reference.AppendData(entry.RelativePathBytes);
            if (entry.LinkTarget is { } target)
            {
                reference.AppendData(target);
            }
        }

        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(reference.GetHashAndReset()), digest.Finish());
    }

    private static UInt128 DigestOf(TreeEntry entry, byte[] name, UInt128? subtree)
    {
        using var digest = new SubtreeDigest();
        digest.Add(entry, name, subtree);
        return digest.Finish();
    }
}
