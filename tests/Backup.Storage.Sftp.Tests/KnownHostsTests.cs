using System.Security.Cryptography;
using System.Text;

namespace Backup.Storage.Sftp.Tests;

public sealed class KnownHostsTests
{
    private static readonly byte[] s_key = Ed25519Blob(1);
    private static readonly byte[] s_otherKey = Ed25519Blob(2);

    [Theory]
    [InlineData("example.org", "example.org", 22, "Known")]
    [InlineData("example.org", "example.org", 2222, "Unknown")]
    [InlineData("[example.org]:2222", "example.org", 2222, "Known")]
    [InlineData("[example.org]:2222", "example.org", 22, "Unknown")]
    [InlineData("a.example,example.org,10.0.0.1", "10.0.0.1", 22, "Known")]
    [InlineData("*.example.org", "host.example.org", 22, "Known")]
    [InlineData("*.example.org,!bad.example.org", "bad.example.org", 22, "Unknown")]
    [InlineData("host?.example.org", "host1.example.org", 22, "Known")]
    [InlineData("EXAMPLE.org", "example.org", 22, "Known")]
    [InlineData("other.org", "example.org", 22, "Unknown")]
    public void Check_HostPatterns_MatchAsSsh(string hosts, string host, int port, string expected)
    {
        var knownHosts = KnownHosts.Parse([$"{hosts} ssh-ed25519 {Convert.ToBase64String(s_key)} comment"]);

        Assert.Equal(Enum.Parse<KnownHostsMatch>(expected), knownHosts.Check(host, port, s_key));
    }

    [Theory]
    [InlineData("example.org", 22)]
    [InlineData("example.org", 2222)]
    public void Check_HashedEntry_Matches(string host, int port)
    {
        var salt = RandomNumberGenerator.GetBytes(20);
#pragma warning disable CA5350 // the format's own algorithm
        var hash = HMACSHA1.HashData(salt, Encoding.ASCII.GetBytes(KnownHosts.HostName(host, port)));
#pragma warning restore CA5350
        var knownHosts = KnownHosts.Parse([$"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(hash)} ssh-ed25519 {Convert.ToBase64String(s_key)}"]);

        Assert.Equal(KnownHostsMatch.Known, knownHosts.Check(host, port, s_key));
        Assert.Equal(KnownHostsMatch.Unknown, knownHosts.Check("other.org", port, s_key));
        Assert.Equal(KnownHostsMatch.Changed, knownHosts.Check(host, port, s_otherKey));
    }

    [Fact]
    public void Check_OtherKeyOfSameType_IsChanged()
    {
        var knownHosts = KnownHosts.Parse([$"example.org ssh-ed25519 {Convert.ToBase64String(s_otherKey)}"]);

        Assert.Equal(KnownHostsMatch.Changed, knownHosts.Check("example.org", 22, s_key));
    }

    [Fact]
    public void Check_OnlyKeyOfOtherType_IsUnknown()
    {
        var rsa = Blob("ssh-rsa", [1, 2, 3]);
        var knownHosts = KnownHosts.Parse([$"example.org ssh-rsa {Convert.ToBase64String(rsa)}"]);

        Assert.Equal(KnownHostsMatch.Unknown, knownHosts.Check("example.org", 22, s_key));
    }

    [Fact]
    public void Check_ChangedAndKnownLines_KnownWins()
    {
        var knownHosts = KnownHosts.Parse([
            $"example.org ssh-ed25519 {Convert.ToBase64String(s_otherKey)}",
            $"example.org ssh-ed25519 {Convert.ToBase64String(s_key)}",
        ]);

        Assert.Equal(KnownHostsMatch.Known, knownHosts.Check("example.org", 22, s_key));
    }

    [Fact]
    public void Check_RevokedKey_IsRevoked()
    {
        var knownHosts = KnownHosts.Parse([
            $"example.org ssh-ed25519 {Convert.ToBase64String(s_key)}",
            $"@revoked * ssh-ed25519 {Convert.ToBase64String(s_key)}",
        ]);

        Assert.Equal(KnownHostsMatch.Revoked, knownHosts.Check("example.org", 22, s_key));
    }

    [Fact]
    public void Parse_CommentsCertAuthoritiesAndBrokenLines_AreSkipped()
    {
        var knownHosts = KnownHosts.Parse([
            "# example.org ssh-ed25519 " + Convert.ToBase64String(s_key),
            "@cert-authority example.org ssh-ed25519 " + Convert.ToBase64String(s_key),
            "example.org ssh-ed25519 not-base64!",
            "example.org ssh-rsa " + Convert.ToBase64String(s_key),
            "",
        ]);

        Assert.Equal(KnownHostsMatch.Unknown, knownHosts.Check("example.org", 22, s_key));
    }

    private static byte[] Ed25519Blob(byte fill) => Blob("ssh-ed25519", Enumerable.Repeat(fill, 32).ToArray());

    private static byte[] Blob(string type, byte[] data)
    {
        var stream = new MemoryStream();
        void Put(byte[] bytes)
        {
            stream.Write([(byte)(bytes.Length >> 24), (byte)(bytes.Length >> 16), (byte)(bytes.Length >> 8), (byte)bytes.Length]);
            stream.Write(bytes);
        }
        Put(Encoding.ASCII.GetBytes(type));
        Put(data);
        return stream.ToArray();
    }
}
