/* vfork: a note, per thread, that the thread's memory is being run by a vfork child. */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>

#include "iot_shim.h"
#include "real.h"

/*
 * The vfork child runs on its parent thread's memory, stack and TLS until it execs or exits, so
 * a thread-local note set by the child is seen by that thread alone, and two threads vforking at
 * once cannot clear each other's.  The trampoline keeps the caller's return address in TLS
 * rather than on the stack, which the child overwrites, calls the real vfork, and on each of its
 * two returns writes the note from the result: 1 in the child, 0 once the parent goes on.  No
 * system call is added, so this holds in a seccomp sandbox too.
 *
 * The return is a jmp, not a ret: under a CET shadow stack (not enabled by Debian 12's glibc)
 * this trampoline would need glibc's own handling.
 */
IOT_TLS int iot_vfork_child;
IOT_TLS void *iot_vfork_ret;
/* An environment the child built for its exec (exec_env.c), freed by the parent once it resumes. */
IOT_TLS struct iot_env_scratch iot_vfork_scratch;

/* The vfork to call: libc's (or a sanitizer's) if found; NULL means the raw system call. */
__attribute__((used)) static void *iot_vfork_target(void) {
  return (void *)iot_real_vfork;
}

__attribute__((used)) static long iot_vfork_failed(long neg_errno) {
  errno = (int)-neg_errno;
  return -1;
}

/* In the parent, back from vfork: the child has exec'd or exited, its scratch memory can go. */
__attribute__((used)) static void iot_vfork_resumed(void) {
  if (iot_vfork_scratch.base) {
    int saved = errno;
    iot_env_free(&iot_vfork_scratch);
    errno = saved;
  }
}

#if defined(__x86_64__)
__asm__(".pushsection .text\n"
        ".globl vfork\n"
        ".type vfork, @function\n"
        "vfork:\n"
        "  sub $8, %rsp\n" /* keep the stack 16-byte aligned for the C calls */
        "  call iot_vfork_target\n"
        "  add $8, %rsp\n"
        "  mov %rax, %rdx\n"
        "  pop %rax\n" /* the caller's return address, kept where the child cannot clobber it */
        "  mov iot_vfork_ret@gottpoff(%rip), %rcx\n"
        "  mov %rax, %fs:(%rcx)\n"
        "  test %rdx, %rdx\n"
        "  jz 1f\n"
        "  call *%rdx\n" /* libc's vfork keeps its own return address in a register */
        "  jmp 2f\n"
        "1:\n"
        "  mov $58, %eax\n" /* SYS_vfork */
        "  syscall\n"
        "  cmp $-4095, %rax\n"
        "  jb 2f\n"
        "  mov %rax, %rdi\n"
        "  call iot_vfork_failed\n"
        "2:\n"
        "  mov iot_vfork_child@gottpoff(%rip), %rcx\n"
        "  xor %edx, %edx\n"
        "  test %eax, %eax\n"
        "  sete %dl\n"
        "  mov %edx, %fs:(%rcx)\n"
        "  jz 3f\n"
        "  push %rax\n"
        "  sub $8, %rsp\n"
        "  call iot_vfork_resumed\n"
        "  add $8, %rsp\n"
        "  pop %rax\n"
        "3:\n"
        "  mov iot_vfork_ret@gottpoff(%rip), %rcx\n"
        "  jmp *%fs:(%rcx)\n"
        ".size vfork, .-vfork\n"
        ".popsection\n");
#endif
