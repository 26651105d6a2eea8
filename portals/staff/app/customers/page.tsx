import CustomerSearch from "@/components/CustomerSearch";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default function CustomersPage() {
  return (
    <StaffPage path="/customers">
      <Restricted permission="customers.read" what="customers' files">
        <CustomerSearch />
      </Restricted>
    </StaffPage>
  );
}
