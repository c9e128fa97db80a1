// Argument checks of the async wrapper that need no socket (the behaviour
// on real sockets is in tests/net/test_async.cpp).
#include <gtest/gtest.h>

#include <event2/event.h>

extern "C" {
#include "backend.h"  // ik__libevent_init: Windows needs WSAStartup before a base
}

namespace {

struct Base {
  event_base *b = ik__libevent_init() == 0 ? event_base_new() : nullptr;
  ~Base() {
    if (b != nullptr) event_base_free(b);
  }
};

TEST(AsyncArguments, NewRefusesNullArgumentsAndClearsTheOutput) {
  Base base;
  ASSERT_NE(base.b, nullptr);
  ik_async *a = reinterpret_cast<ik_async *>(&base);
  EXPECT_EQ(ik_async_new(base.b, nullptr, &a), IK_EINVAL);
  EXPECT_EQ(a, nullptr);
  EXPECT_STRNE(ik_last_error(), "");
  EXPECT_EQ(ik_async_new(nullptr, nullptr, &a), IK_EINVAL);
  EXPECT_EQ(ik_async_new(base.b, nullptr, nullptr), IK_EINVAL);
}

TEST(AsyncArguments, CallsOnANullWrapperFailOrDoNothing) {
  ik_request req;
  ASSERT_EQ(ik_request_init(&req, "127.0.0.1", 1, 1), 0);
  EXPECT_EQ(ik_async_send(nullptr, &req), IK_EINVAL);
  EXPECT_EQ(ik_async_receive(nullptr, &req, 1.0, [](int, const ik_reply *, void *) {}, nullptr),
            IK_EINVAL);
  EXPECT_EQ(ik_async_close(nullptr), IK_EINVAL);
  EXPECT_EQ(ik_async_detach(nullptr), nullptr);
  EXPECT_EQ(ik_async_socket(nullptr), nullptr);
  EXPECT_TRUE(ik_async_is_closed(nullptr));
  ik_async_free(nullptr);  // accepted
}

}  // namespace
