using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Backup.Cli.Web;
using Backup.Core;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Testing;

namespace Backup.Cli.Tests.Web;

/// <summary>The listener itself, in this process on a loopback port: /metrics, the sign-in redirect, a port in use.</summary>
public sealed class WebServerTests : IAsyncLifetime, IDisposable
{
    private const string Token = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG";

    private readonly TempDirectory _temp = new();
    private readonly HttpClient _client = new(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
    private readonly WebJobs _jobs = new(TimeProvider.System, CancellationToken.None);
    private WebServer? _server;
    private WebListen _listen = null!;

    public async Task InitializeAsync()
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);
        using var credentials = new RepositoryCredentials(() => "", false, false, new StoreSettings());
        var backend = new WebBackend(context, _temp.Join("catalog.db"), _temp.Join("archive"), credentials, new WebState(), _jobs);
        _listen = WebListen.Parse($"127.0.0.1:{FreePort()}", false, null, null);
        _server = await WebServer.StartAsync(_listen, Token, backend, async (stream, token) =>
            await stream.WriteAsync(Encoding.UTF8.GetBytes("# TYPE backup_test gauge\nbackup_test 1\n"), token), CancellationToken.None);
    }

    [Fact]
    public async Task Metrics_WithBearerToken_ServesTheExporterAsPrometheusText()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _listen.Url + "metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        Assert.Equal("# TYPE backup_test gauge\nbackup_test 1\n", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_WrongBearerToken_Is401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _listen.Url + "metrics");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token[..^1] + "x");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task SignIn_TokenInAddress_SetsHttpOnlyStrictCookieAndRedirects()
    {
        using var response = await _client.GetAsync(_listen.Url + "?token=" + Token);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.ToString());
        var cookie = Assert.Single(response.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith($"{WebAuthentication.Cookie}={Token};", cookie, StringComparison.Ordinal);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);

        using var page = new HttpRequestMessage(HttpMethod.Get, _listen.Url);
        page.Headers.Add("Cookie", $"{WebAuthentication.Cookie}={Token}");
        using var served = await _client.SendAsync(page);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.Contains("/app.js", await served.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", served.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("evil.example:{port}")]
    [InlineData("127.0.0.1.evil.example:{port}")]
    [InlineData("127.0.0.1:1")]
    public async Task Request_HostNotTheListenAddress_Is421EvenWithTheToken(string host)
    {
        // DNS rebinding: a page of another site whose name now resolves to 127.0.0.1 sends its own name as Host.
        using var request = new HttpRequestMessage(HttpMethod.Get, _listen.Url + "metrics");
        request.Headers.Host = host.Replace("{port}", _listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        Assert.DoesNotContain("backup_test", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("localhost:{port}")]
    [InlineData("LOCALHOST:{port}")]
    [InlineData("127.0.0.1")]
    public async Task Request_HostALoopbackName_IsServed(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _listen.Url + "metrics");
        request.Headers.Host = host.Replace("{port}", _listen.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Restore_TargetNotEmptyWithoutOverwrite_Is409BeforeAnyJob()
    {
        var target = _temp.Join("full");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Join(target, "keep.txt"), "mine");
        using var request = new HttpRequestMessage(HttpMethod.Post, _listen.Url + "api/restore")
        {
            Content = new StringContent($"{{\"snapshot\":1,\"path\":\"\",\"target\":\"{target}\",\"overwrite\":false}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.Add(WebAuthentication.CsrfHeader, WebToken.CsrfFor(Token));
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("is not empty", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("mine", File.ReadAllText(Path.Join(target, "keep.txt")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Restore_RefusedWhileTheJobsAreFull_Is429AndLeavesNoTargetFolder(bool dryRun)
    {
        using (var catalog = Backup.Core.Catalog.CatalogStore.Open(_temp.Join("catalog.db")))
        {
            catalog.AddPath("/src", DateTimeOffset.UtcNow);
            catalog.RecordSnapshot("/src", _temp.Join("archive"), new Backup.Core.Archiving.ArchiveResult(
                _temp.Join("archive", "1.zip"), new Backup.Core.Archiving.SnapshotInfo { SourcePath = "/src", Time = DateTimeOffset.UtcNow, Hash = "h" }, []), DateTimeOffset.UtcNow);
        }
        var release = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < WebJobs.MaxRunning; i++)
        {
            _jobs.Start("test", "", (_, _) => release.Task);
        }
        var target = _temp.Join("new", "target");
        using var request = new HttpRequestMessage(HttpMethod.Post, _listen.Url + "api/restore")
        {
            // A dry run is answered within its request, but it reads as much as a restore's job and takes a slot too.
            Content = new StringContent($"{{\"snapshot\":1,\"path\":\"\",\"target\":\"{target}\",\"overwrite\":false,\"dryRun\":{(dryRun ? "true" : "false")}}}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.Add(WebAuthentication.CsrfHeader, WebToken.CsrfFor(Token));

        using var response = await _client.SendAsync(request);

        release.SetResult(new object());
        Assert.Equal((HttpStatusCode)429, response.StatusCode);
        Assert.False(Directory.Exists(target), "the refused restore left its target folder");
        Assert.False(Directory.Exists(_temp.Join("new")), "the refused restore left the folder it made above the target");
    }

    [Fact]
    public async Task Restore_ZipSnapshotWithDelete_DryRunListsTheExtraFileThenRestoreRemovesIt()
    {
        var source = _temp.Join("src");
        Directory.CreateDirectory(Path.Join(source, "d"));
        File.WriteAllText(Path.Join(source, "a.txt"), "a\n");
        File.WriteAllText(Path.Join(source, "d", "b.txt"), "b\n");
        var archived = await new ZipArchiver(_temp.Join("archive")).ArchiveAsync(source, "h", CancellationToken.None);
        long id;
        using (var catalog = CatalogStore.Open(_temp.Join("catalog.db")))
        {
            catalog.AddPath(source, DateTimeOffset.UtcNow);
            id = catalog.RecordSnapshot(source, _temp.Join("archive"), archived, DateTimeOffset.UtcNow);
        }
        var target = _temp.Join("target");
        Directory.CreateDirectory(Path.Join(target, "d"));
        var extra = Path.Join(target, "d", "extra.txt");
        File.WriteAllText(extra, "not in the snapshot");
        var body = $"{{\"snapshot\":{id},\"path\":\"\",\"target\":\"{target}\",\"overwrite\":false,\"delete\":true";

        using (var preview = await PostRestoreAsync(body + ",\"dryRun\":true}"))
        {
            var text = await preview.Content.ReadAsStringAsync();
            Assert.True(preview.StatusCode == HttpStatusCode.OK, text);
            using var json = JsonDocument.Parse(text);
            Assert.Equal(archived.Archive, json.RootElement.GetProperty("archive").GetString());
            Assert.Equal(["d/extra.txt"], json.RootElement.GetProperty("deleted_paths").EnumerateArray().Select(p => p.GetString()));
            Assert.True(File.Exists(extra), "the dry run deleted the extra file");
            Assert.False(File.Exists(Path.Join(target, "a.txt")), "the dry run restored a file");
        }

        using var start = await PostRestoreAsync(body + "}");
        var started = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, started);
        var job = _jobs.Get(JsonDocument.Parse(started).RootElement.GetProperty("id").GetString()!);
        Poll.Until(() => job.State != "running", "the restore job's end");
        Assert.True(job.State == "done", job.Error);
        Assert.False(File.Exists(extra), "the restore with delete left the extra file");
        var diff = Shell.Run("diff", "-r", source, target);
        Assert.True(diff.ExitCode == 0, diff.ToString());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task Restore_CrossSiteBodyWithoutCsrfHeader_Is403(string mediaType)
    {
        // What a form or fetch(no-cors) from another site can send: the cookie, a simple content type, no custom header.
        using var request = new HttpRequestMessage(HttpMethod.Post, _listen.Url + "api/restore")
        {
            Content = new StringContent("{\"snapshot\":1,\"target\":\"/tmp/x\"}", Encoding.UTF8, mediaType),
        };
        request.Headers.Add("Cookie", $"{WebAuthentication.Cookie}={Token}");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task StartAsync_PortInUse_ErrorNamesTheAddress()
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);
        using var credentials = new RepositoryCredentials(() => "", false, false, new StoreSettings());
        var backend = new WebBackend(context, _temp.Join("catalog.db"), _temp.Join("archive"), credentials, new WebState(), new WebJobs(TimeProvider.System, CancellationToken.None));
        var e = await Assert.ThrowsAsync<BackupException>(() => WebServer.StartAsync(_listen, Token, backend, null, CancellationToken.None));
        Assert.Contains(_listen.Url, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PemCertificateWithKey_ServesHttpsWithSecureCookie()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var certificate = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var pem = _temp.Join("web.pem");
        File.WriteAllText(pem, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        var context = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);
        using var credentials = new RepositoryCredentials(() => "", false, false, new StoreSettings());
        var backend = new WebBackend(context, _temp.Join("catalog.db"), _temp.Join("archive"), credentials, new WebState(), new WebJobs(TimeProvider.System, CancellationToken.None));
        var listen = WebListen.Parse($"127.0.0.1:{FreePort()}", false, pem, null);
        await using var server = await WebServer.StartAsync(listen, Token, backend, null, CancellationToken.None);
        var thumbprint = certificate.Thumbprint;
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == thumbprint,
        };
        using var client = new HttpClient(handler);
        Assert.StartsWith("https://", listen.Url, StringComparison.Ordinal);
        using var response = await client.GetAsync(listen.Url + "?token=" + Token);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("secure", Assert.Single(response.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task StartAsync_CertificateMissing_UsageErrorNamingIt()
    {
        var context = new CliContext(TextWriter.Null, TextWriter.Null, _ => null, TimeProvider.System);
        using var credentials = new RepositoryCredentials(() => "", false, false, new StoreSettings());
        var backend = new WebBackend(context, _temp.Join("catalog.db"), _temp.Join("archive"), credentials, new WebState(), new WebJobs(TimeProvider.System, CancellationToken.None));
        var listen = WebListen.Parse($"127.0.0.1:{FreePort()}", false, _temp.Join("missing.pem"), null);
        var e = await Assert.ThrowsAsync<BackupException>(() => WebServer.StartAsync(listen, Token, backend, null, CancellationToken.None));
        Assert.Equal(ExitCodes.Usage, e.ExitCode);
        Assert.Contains("missing.pem", e.Message, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _temp.Dispose();
    }

    private async Task<HttpResponseMessage> PostRestoreAsync(string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _listen.Url + "api/restore")
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        request.Headers.Add(WebAuthentication.CsrfHeader, WebToken.CsrfFor(Token));
        return await _client.SendAsync(request);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
