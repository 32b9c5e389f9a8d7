using Google.Protobuf;
using Grpc.Core;
using Vigil.Core.Mvcc;
using Vigil.Protocol.Errors;
using Vigil.Protocol.Etcdserverpb;

namespace Vigil.Core.Tests.Mvcc;

public class RequestChecksTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static RequestOp Put(string key) => new() { RequestPut = new PutRequest { Key = B(key) } };

    private static RequestOp Delete(string key, string? end = null) =>
        new() { RequestDeleteRange = new DeleteRangeRequest { Key = B(key), RangeEnd = end is null ? ByteString.Empty : B(end) } };

    private static RequestOp Range(string key) => new() { RequestRange = new RangeRequest { Key = B(key) } };

    private static RequestOp Nested(TxnRequest txn) => new() { RequestTxn = txn };

    private static void AssertRejected(string message, StatusCode code, Action check)
    {
        var error = Assert.Throws<RpcException>(check);
        Assert.Equal(code, error.StatusCode);
        Assert.Equal(message, error.Status.Detail);
    }

    [Fact]
    public void EmptyKeysAreRejectedEverywhere()
    {
        AssertRejected(EtcdErrors.EmptyKeyMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckRange(new RangeRequest()));
        AssertRejected(EtcdErrors.EmptyKeyMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckPut(new PutRequest()));
        AssertRejected(EtcdErrors.EmptyKeyMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckDeleteRange(new DeleteRangeRequest()));
        AssertRejected(EtcdErrors.EmptyKeyMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckTxn(
            new TxnRequest { Compare = { new Compare() } }, 128));
        AssertRejected(EtcdErrors.EmptyKeyMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckTxn(
            new TxnRequest { Success = { new RequestOp { RequestPut = new PutRequest() } } }, 128));
    }

    [Fact]
    public void PutFlagsConflictingWithValues()
    {
        AssertRejected(EtcdErrors.ValueProvidedMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckPut(new PutRequest { Key = B("k"), Value = B("v"), IgnoreValue = true }));
        AssertRejected(EtcdErrors.LeaseProvidedMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckPut(new PutRequest { Key = B("k"), Lease = 5, IgnoreLease = true }));
    }

    [Fact]
    public void TxnOpLimitIsInclusive()
    {
        var atLimit = new TxnRequest();
        for (var i = 0; i < 128; i++)
        {
            atLimit.Success.Add(Put("k" + i));
        }

        RequestChecks.CheckTxn(atLimit, 128);
        atLimit.Failure.Add(Enumerable.Range(0, 129).Select(i => Range("r" + i)));
        AssertRejected(EtcdErrors.TooManyOpsMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckTxn(atLimit, 128));
    }

    [Fact]
    public void NestedTxnGetsWhatIsLeftOfTheBudget()
    {
        var inner = new TxnRequest();
        inner.Success.Add(Enumerable.Range(0, 3).Select(i => Range("i" + i)));
        var outer = new TxnRequest();
        outer.Success.Add(Enumerable.Range(0, 2).Select(i => Range("o" + i)));
        outer.Success.Add(Nested(inner));

        // The outer txn uses 3 of 5; the nested one may use the remaining 2 but asks for 3.
        AssertRejected(EtcdErrors.TooManyOpsMessage, StatusCode.InvalidArgument, () => RequestChecks.CheckTxn(outer, 5));
        RequestChecks.CheckTxn(outer, 6);
    }

    [Fact]
    public void EmptyRequestOpIsKeyNotFound()
    {
        AssertRejected(EtcdErrors.KeyNotFoundMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckTxn(new TxnRequest { Success = { new RequestOp() } }, 128));
    }

    [Fact]
    public void DuplicatePutsInOneBranchAreRejected()
    {
        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Put("a"), Put("a") } }));
    }

    [Fact]
    public void PutCoveredByDeleteIsRejected()
    {
        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Delete("a", "c"), Put("b") } }));
        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest { Failure = { Put("b"), Delete("b") } }));
    }

    [Fact]
    public void PutOutsideDeleteRangeAndSameKeyInBothBranchesAreFine()
    {
        RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Delete("a", "c"), Put("c") } });
        RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Put("a") }, Failure = { Put("a") } });
        RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Delete("a", "c"), Delete("b", "d") } });
    }

    [Fact]
    public void NestedTxnBranchesAreExclusiveButConflictWithTheParent()
    {
        var bothBranches = new TxnRequest { Success = { Put("x") }, Failure = { Put("x") } };
        RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Nested(bothBranches) } });

        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Nested(bothBranches), Put("x") } }));
        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest
            {
                Success = { Delete("w", "z"), Nested(new TxnRequest { Success = { Put("x") } }) },
            }));
    }

    [Fact]
    public void UnboundedDeleteCoversLaterKeys()
    {
        AssertRejected(EtcdErrors.DuplicateKeyMessage, StatusCode.InvalidArgument,
            () => RequestChecks.CheckDuplicateKeys(new TxnRequest { Success = { Delete("a", "\0"), Put("q") } }));
    }

    [Fact]
    public void ReadOnlyTxnIsRecognisedThroughNesting()
    {
        Assert.True(RequestChecks.IsReadOnly(new TxnRequest { Success = { Range("a"), Nested(new TxnRequest { Failure = { Range("b") } }) } }));
        Assert.False(RequestChecks.IsReadOnly(new TxnRequest { Success = { Range("a") }, Failure = { Nested(new TxnRequest { Success = { Put("b") } }) } }));
    }
}
