def main(argv=None):
    print("svcflow: placeholder")
    return 0
if __name__ == "__main__":
    raise SystemExit(main())
