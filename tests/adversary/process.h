// Child processes of the adversary tests (the concurrent pingers, the CLI).
// A child starts in the namespaces of the thread that spawns it: spawned
// from inside TunNet::Run, it runs in the adversary network.
#ifndef IK_ADVERSARY_PROCESS_H
#define IK_ADVERSARY_PROCESS_H

#include <sys/types.h>

#include <string>
#include <vector>

namespace adv {

struct Child {
  pid_t pid = -1;  // -1: spawning failed
  int out = -1;    // read end of its stdout
};

// Starts args[0] (a path) with args; stdout goes to a pipe, stderr is the
// test's.
Child Spawn(const std::vector<std::string> &args);

struct Finished {
  int status = -1;  // exit status; 128 + signal if killed; -1 if it never ran
  std::string out;  // everything it wrote to stdout
};

// Reads the child's stdout to the end and reaps it.
Finished Finish(Child &c);

}  // namespace adv

#endif
