// ik_async_resolve and ik__resolve_start for what needs no DNS: literals,
// "localhost" and ".invalid" names complete on the next loop turn, with
// ik_resolve's answers and errors. (Names asked of a DNS server, the hosts
// file, and cancel during a query: tests/net/test_async_resolve.cpp.)
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <event2/event.h>

extern "C" {
#include "backend.h"  // ik__libevent_init: Windows needs WSAStartup before a base
#include "resolve.h"
}

namespace {

struct Base {
  event_base *b = ik__libevent_init() == 0 ? event_base_new() : nullptr;
  ~Base() {
    if (b != nullptr) event_base_free(b);
  }
};

struct Resolved {
  int calls = 0;
  int status = 1;
  std::vector<std::string> addrs;
  std::string detail;
  ik_lookup *cancel_in_cb = nullptr;
};

void resolved(int status, const ik_address *addrs, size_t n, void *arg) {
  auto *r = static_cast<Resolved *>(arg);
  r->calls++;
  r->status = status;
  r->detail = ik_last_error();
  for (size_t i = 0; i < n; i++) {
    char text[IK_ADDRSTRLEN];
    ik_address_format(&addrs[i], text, sizeof text);
    r->addrs.push_back(text);
  }
  ik_lookup_cancel(r->cancel_in_cb);  // from cb: does nothing
}

Resolved resolve(const char *name, int family) {
  Base base;
  Resolved r;
  EXPECT_EQ(ik_async_resolve(base.b, name, family, resolved, &r, nullptr), IK_OK) << name;
  EXPECT_EQ(r.calls, 0) << name << ": the callback ran inside the start call";
  event_base_dispatch(base.b);
  EXPECT_EQ(r.calls, 1) << name;
  return r;
}

TEST(AsyncResolveLocal, LiteralsCompleteOnTheLoopAsIkResolveAnswers) {
  Resolved r = resolve("192.0.2.7", 0);
  EXPECT_EQ(r.status, IK_OK);
  EXPECT_EQ(r.addrs, std::vector<std::string>{"192.0.2.7"});
  r = resolve("2001:db8::1", IK_AF_INET6);
  EXPECT_EQ(r.addrs, std::vector<std::string>{"2001:db8::1"});
}

TEST(AsyncResolveLocal, LocalhostGivesBothLoopbacksIpv4First) {
  EXPECT_EQ(resolve("localhost", 0).addrs, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(resolve("db.localhost.", IK_AF_INET6).addrs, std::vector<std::string>{"::1"});
  EXPECT_EQ(resolve("LOCALHOST", IK_AF_INET).addrs, std::vector<std::string>{"127.0.0.1"});
}

TEST(AsyncResolveLocal, NameErrorsComeThroughTheCallbackWithIkResolvesText) {
  for (const char *name : {"x.invalid", "1.2.3", "", "a b", "fe80::1%"}) {
    Resolved r = resolve(name, 0);
    EXPECT_EQ(r.status, IK_ENAMELOOKUP) << name;
    EXPECT_TRUE(r.addrs.empty()) << name;
    ik_address out[2];
    size_t n = 0;
    EXPECT_EQ(ik_resolve(name, 0, out, 2, &n), IK_ENAMELOOKUP) << name;
    EXPECT_EQ(r.detail, ik_last_error()) << name;
  }
  Resolved r = resolve("127.0.0.1", IK_AF_INET6);
  EXPECT_EQ(r.status, IK_ENAMELOOKUP);
  EXPECT_NE(r.detail.find("IPv6"), std::string::npos) << r.detail;
}

TEST(AsyncResolveLocal, BadArgumentsFailAtOnceAndNeverCallBack) {
  Base base;
  Resolved r;
  ik_lookup *l = reinterpret_cast<ik_lookup *>(&base);
  EXPECT_EQ(ik_async_resolve(nullptr, "localhost", 0, resolved, &r, &l), IK_EINVAL);
  EXPECT_EQ(l, nullptr);
  EXPECT_EQ(ik_async_resolve(base.b, nullptr, 0, resolved, &r, &l), IK_EINVAL);
  EXPECT_EQ(ik_async_resolve(base.b, "localhost", 0, nullptr, &r, &l), IK_EINVAL);
  EXPECT_EQ(ik_async_resolve(base.b, "localhost", 5, resolved, &r, &l), IK_EINVAL);
  EXPECT_NE(std::string(ik_last_error()).find("family 5"), std::string::npos) << ik_last_error();
  event_base_dispatch(base.b);
  EXPECT_EQ(r.calls, 0);
}

TEST(AsyncResolveLocal, CancelBeforeTheLoopRunsMeansNoCallback) {
  Base base;
  Resolved r;
  ik_lookup *l = nullptr;
  ASSERT_EQ(ik_async_resolve(base.b, "127.0.0.1", 0, resolved, &r, &l), IK_OK);
  ASSERT_NE(l, nullptr);
  ik_lookup_cancel(l);
  ik_lookup_cancel(nullptr);
  event_base_dispatch(base.b);
  EXPECT_EQ(r.calls, 0);
}

TEST(AsyncResolveLocal, CancelFromTheCallbackDoesNothing) {
  Base base;
  Resolved r;
  ASSERT_EQ(ik_async_resolve(base.b, "localhost", 0, resolved, &r, &r.cancel_in_cb), IK_OK);
  event_base_dispatch(base.b);
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.status, IK_OK);
}

TEST(AsyncResolveLocal, InternalStartHonoursMax) {
  Base base;
  Resolved r;
  ik__lookup *l = nullptr;
  ASSERT_EQ(ik__resolve_start(base.b, "localhost", 0, 1, resolved, &r, &l), IK_OK);
  event_base_dispatch(base.b);
  EXPECT_EQ(r.addrs, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(ik__resolve_start(base.b, "localhost", 0, 0, resolved, &r, &l), IK_EINVAL);
  EXPECT_EQ(l, nullptr);
}

}  // namespace
