using System.Text.Json;
using Backup.Core.Archiving.Zip;
using Backup.Core.Sources;
using Backup.Core.Tests.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Zip;

public class ZipTreeWriterTests
{
    [Fact]
    public async Task Write_ParentSwappedForSymlinkAfterListing_StoresTheListedFileNeverTheSecret()
    {
        using var attack = new SwapAttack();

        var (zip, problems) = await WriteAsync(attack, "sub/data.txt", SwapAttack.SwapParent);

        var contents = Contents(zip);
        Assert.DoesNotContain(contents.Values, v => v.Contains(SwapAttack.Secret, StringComparison.Ordinal));
        Assert.Equal(SwapAttack.UserData, contents["sub/data.txt"]);
        Assert.Empty(problems);
    }

    [Fact]
    public async Task Write_FileReplacedByAnotherInodeAfterListing_LeavesItOutAndReportsIt()
    {
        using var attack = new SwapAttack();

        var (zip, problems) = await WriteAsync(attack, "sub/data.txt", SwapAttack.ReplaceFile);

        var contents = Contents(zip);
        Assert.DoesNotContain("sub/data.txt", contents.Keys);
        Assert.Equal("more", contents["sub/more.txt"]);
        var problem = Assert.Single(problems);
        Assert.Equal("sub/data.txt", problem.Path);
        Assert.Contains("replaced", problem.Message, StringComparison.Ordinal);
    }

    /// <summary>Writes the attacked walk into a zip, as <see cref="ZipArchiver"/> does; returns the zip and the problems reported.</summary>
    private static async Task<(string Zip, IReadOnlyList<TreeProblem> Problems)> WriteAsync(SwapAttack attack, string trigger, string script)
    {
        var path = attack.Join("out.zip");
        using (var archive = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
        using (var central = new FileStream(path + ".cd", FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose))
        using (var writer = new ZipWriter(archive.SafeFileHandle, central))
        {
            var tree = new ZipTreeWriter(new ZipArchiverOptions().Validate(), writer);
            await tree.WriteAsync(attack.Walk(tree.AddProblem, trigger, script), CancellationToken.None);
            writer.Finish("{}"u8.ToArray());
            return (path, tree.Problems);
        }
    }

    /// <summary>Every file entry of <paramref name="zip"/> and its content, as Python's zipfile reads them.</summary>
    private static Dictionary<string, string> Contents(string zip)
    {
        var result = Shell.Run("python3", "-c", """
            import json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            print(json.dumps({i.filename: z.read(i).decode('latin-1') for i in z.infolist() if not i.is_dir()}))
            """, zip);
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonSerializer.Deserialize<Dictionary<string, string>>(result.Output)!;
    }
}
