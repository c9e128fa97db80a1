// Shared fixture pieces of the adversary suite.
#ifndef IK_ADVERSARY_H
#define IK_ADVERSARY_H

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>

#include "tun_net.h"

namespace adv {

// Every adversary test owns a fresh namespace with its tun and responder.
template <class Base>
class TunFixture : public Base {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "needs root: creates a network namespace and a tun device";
    net_ = std::make_unique<TunNet>();
    ASSERT_TRUE(net_->Ok()) << net_->Error();
  }
  // Stops the responder before anything a script may use goes away.
  void TearDown() override { net_.reset(); }
  std::unique_ptr<TunNet> net_;
};
using TunTest = TunFixture<::testing::Test>;

}  // namespace adv

#endif
