using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Backup.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Backup.Cli.Web;

/// <summary>
/// The daemon's web listener (Kestrel, in the daemon's process): the page, its JSON API and, when given an exporter,
/// <c>/metrics</c>. Started next to the monitor, stopped when the daemon stops.
/// </summary>
internal sealed class WebServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebServer(WebApplication app) => _app = app;

    /// <summary>
    /// Starts listening on <paramref name="listen"/>. <paramref name="metrics"/>, when not null, writes the
    /// Prometheus text format for <c>/metrics</c>. Throws <see cref="BackupException"/> naming the address when it
    /// cannot be bound, or the certificate when it cannot be read.
    /// </summary>
    public static async Task<WebServer> StartAsync(
        WebListen listen, string token, WebBackend backend, Func<Stream, CancellationToken, Task>? metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listen);
        var certificate = listen.Tls ? LoadCertificate(listen) : null;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "backup", ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, WebHostLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(listen.Address, listen.Port, endpoint =>
            {
                if (certificate is not null)
                {
                    endpoint.UseHttps(certificate);
                }
            });
        });
        var app = builder.Build();
        var authentication = new WebAuthentication(token, listen);
        app.Use(authentication.InvokeAsync);
        Map(app, backend, WebToken.CsrfFor(token), metrics);
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            await app.DisposeAsync();
            throw new BackupException($"cannot listen on {listen.Url}: {(e.InnerException ?? e).Message}");
        }
        return new WebServer(app);
    }

    private static void Map(WebApplication app, WebBackend backend, string csrf, Func<Stream, CancellationToken, Task>? metrics)
    {
        app.MapGet("/", http => WebAssets.ServeAsync(http, "index.html"));
        foreach (var name in WebAssets.Names)
        {
            app.MapGet("/" + name, http => WebAssets.ServeAsync(http, name));
        }
        app.MapGet("/metrics", async http =>
        {
            if (metrics is null)
            {
                throw new WebRequestException(StatusCodes.Status404NotFound, "no metrics in this daemon");
            }
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics(http.Response.Body, http.RequestAborted);
        });
        WebStatusEndpoints.Map(app, backend, csrf);
        WebSnapshotEndpoints.Map(app, backend);
        WebJobEndpoints.Map(app, backend);
    }

    /// <summary>Reads the listener's certificate and key; throws <see cref="BackupException"/> (exit 2) naming the file when it cannot.</summary>
    internal static X509Certificate2 LoadCertificate(WebListen listen)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(listen.CertificateFile!, listen.KeyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new BackupException($"cannot read the TLS certificate {Formatting.Path(listen.CertificateFile!)}{(listen.KeyFile is null ? "" : $" with key {Formatting.Path(listen.KeyFile)}")}: {e.Message} (give a PEM certificate and its key, in one file or with --tls-key)", ExitCodes.Usage);
        }
    }

    /// <summary>Stops listening; requests in flight get a few seconds to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
    }
}
