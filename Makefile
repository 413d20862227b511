# Convenience targets; scripts/test.sh is the test command.
.PHONY: test examples hello
test:
	bash scripts/test.sh
examples:
	$(MAKE) -C examples
hello:
	./scripts/run-example.sh
