using Amazon.Runtime;
using Backup.Core;
using Backup.Core.Storage;
using Backup.Testing;

namespace Backup.Storage.S3.Tests;

public sealed partial class S3BlobStoreTests
{
    [S3Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Calls_WrongCredentials_FailAtOnceWithoutTheSecret(bool wrongAccessKey)
    {
        await using var bucket = await S3TestBucket.CreateAsync();
        const string WrongSecret = "wrong-secret-0123456789abcdefghijklmnopq";
        var accessKey = wrongAccessKey ? "NOSUCHACCESSKEY00000" : bucket.Server.AccessKey;
        using var store = bucket.Open(options: bucket.Options with { Credentials = new BasicAWSCredentials(accessKey, WrongSecret) });
        var id = NewId();

        List<Exception> errors =
        [
            await Assert.ThrowsAsync<BackupException>(() => store.WriteAsync(BlobKind.Snapshot, id, new byte[] { 1 }, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(() => store.ReadAsync(BlobKind.Snapshot, id, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(() => store.IsEmptyAsync(CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(async () => await store.ListAsync(BlobKind.Snapshot, CancellationToken.None).GetAsyncEnumerator().MoveNextAsync()),
        ];

        foreach (var e in errors)
        {
            Assert.True(e.Message.StartsWith($"access denied to s3://{bucket.Name}/repo", StringComparison.Ordinal), e.ToString());
            Assert.Contains("AWS_ACCESS_KEY_ID", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(WrongSecret, e.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(bucket.Server.SecretKey, e.ToString(), StringComparison.Ordinal);
        }
        Assert.Empty(await bucket.KeysAsync());
    }

    [S3Fact]
    public async Task Calls_MissingBucket_NameItAndSayInitCreatesIt()
    {
        await using var bucket = S3TestBucket.Missing();
        using var store = bucket.Open();
        var id = NewId();

        List<Exception> errors =
        [
            await Assert.ThrowsAsync<BackupException>(() => store.WriteAsync(BlobKind.Snapshot, id, new byte[] { 1 }, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(() => store.ReadAsync(BlobKind.Snapshot, id, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(() => store.DeleteAsync(BlobKind.Snapshot, id, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(() => store.RemoveLeftoversAsync(BlobKind.Pack, CancellationToken.None)),
            await Assert.ThrowsAsync<BackupException>(async () => await store.ListAsync(BlobKind.Snapshot, CancellationToken.None).GetAsyncEnumerator().MoveNextAsync()),
        ];

        foreach (var e in errors)
        {
            Assert.Contains($"no bucket '{bucket.Name}'", e.Message, StringComparison.Ordinal);
            Assert.Contains("backup init", e.Message, StringComparison.Ordinal);
        }
        Assert.True(await store.IsEmptyAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Calls_NoServerListening_AreTransientAndNameTheStore()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var options = new S3StoreOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{port}"),
            Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret-never-shown"),
            MaxErrorRetry = 0,
        };
        using var store = new S3BlobStore(StoreLocation.Parse("s3://nobody-home/repo"), options);

        var e = await Assert.ThrowsAsync<TransientStoreException>(() => store.ReadAsync(BlobKind.Config, BlobNames.Config, CancellationToken.None));

        Assert.Contains("s3://nobody-home/repo/config", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-never-shown", e.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(503, "SlowDown", typeof(TransientStoreException), 3)]
    [InlineData(500, "InternalError", typeof(TransientStoreException), 3)]
    [InlineData(400, "RequestTimeout", typeof(TransientStoreException), 3)]
    [InlineData(403, "AccessDenied", typeof(BackupException), 1)]
    [InlineData(403, "InvalidAccessKeyId", typeof(BackupException), 1)]
    [InlineData(404, "NoSuchBucket", typeof(BackupException), 1)]
    [InlineData(404, "NoSuchKey", typeof(FileNotFoundException), 1)]
    [InlineData(400, "InvalidArgument", typeof(BackupException), 1)]
    public async Task Read_ServerError_MapsToTheContractAndRetriesOnlyTransientOnes(int status, string code, Type expected, int requests)
    {
        using var server = new CannedS3Server(status, code);
        // MaxErrorRetry 2 (the default): a transient error is sent three times in all, a permanent one once.
        var options = new S3StoreOptions { Endpoint = server.Endpoint, Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret-never-shown") };
        using var store = new S3BlobStore(StoreLocation.Parse("s3://canned/repo"), options);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => store.ReadAsync(BlobKind.Config, BlobNames.Config, CancellationToken.None));

        Assert.IsType(expected, e);
        Assert.Contains("s3://canned/repo/config", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-never-shown", e.ToString(), StringComparison.Ordinal);
        Assert.Equal(requests, server.Requests);
    }

    [Theory]
    [InlineData(1, typeof(BackupException), 2)]
    [InlineData(2, typeof(TransientStoreException), 2)]
    public async Task Read_BrokenExchange_IsSentOnceMoreThenTransient(int broken, Type expected, int requests)
    {
        // A 400 with no error code answers an earlier request's leftover body (RGW after a refused PUT), not this one.
        using var server = new CannedS3Server(403, "AccessDenied", broken);
        var options = new S3StoreOptions { Endpoint = server.Endpoint, Credentials = new BasicAWSCredentials("AKIDEXAMPLE", "secret-never-shown"), MaxErrorRetry = 0 };
        using var store = new S3BlobStore(StoreLocation.Parse("s3://canned/repo"), options);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => store.ReadAsync(BlobKind.Config, BlobNames.Config, CancellationToken.None));

        Assert.IsType(expected, e);
        Assert.Contains("s3://canned/repo/config", e.Message, StringComparison.Ordinal);
        if (broken == 1)
        {
            Assert.True(e.Message.StartsWith("access denied to s3://canned/repo/config", StringComparison.Ordinal), e.Message);
        }
        Assert.Equal(requests, server.Requests);
    }
}
