using Backup.Cli.Web;
using Backup.Core;

namespace Backup.Cli.Tests.Web;

public class WebListenTests
{
    [Theory]
    [InlineData("127.0.0.1:9911", "http://127.0.0.1:9911/")]
    [InlineData("localhost:80", "http://127.0.0.1:80/")]
    [InlineData("[::1]:9911", "http://[::1]:9911/")]
    public void Parse_Loopback_Accepts(string text, string url) => Assert.Equal(url, WebListen.Parse(text, false, null, null).Url);

    [Theory]
    [InlineData("0.0.0.0:9911", false, null, "not a loopback")]
    [InlineData("192.168.1.2:9911", false, null, "--listen-public")]
    [InlineData("0.0.0.0:9911", true, null, "requires --tls-cert")]
    [InlineData("127.0.0.1", false, null, "ADDRESS:PORT")]
    [InlineData("127.0.0.1:0", false, null, "ADDRESS:PORT")]
    [InlineData("127.0.0.1:70000", false, null, "ADDRESS:PORT")]
    [InlineData("example.org:9911", false, null, "not an IP address")]
    public void Parse_Refused_UsageError(string text, bool listenPublic, string? certificate, string expected)
    {
        var e = Assert.Throws<BackupException>(() => WebListen.Parse(text, listenPublic, certificate, null));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PublicWithCertificate_ServesHttps() =>
        Assert.Equal("https://0.0.0.0:9911/", WebListen.Parse("0.0.0.0:9911", true, "/etc/cert.pem", null).Url);

    [Fact]
    public void Daemon_CertificateThatCannotBeRead_IsRefusedBeforeTheCatalogIsOpened()
    {
        using var backup = new BackupProcess();
        var pem = Path.Join(backup.Root, "web.pem");
        File.WriteAllText(pem, "not a certificate\n");

        var run = backup.Run("daemon", "--listen", "0.0.0.0:9911", "--listen-public", "--tls-cert", pem);

        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Contains($"cannot read the TLS certificate {pem}", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(backup.Catalog), "the catalog was opened (and made) before the certificate was read");
    }
}
