import CustomerDetail from "@/components/CustomerDetail";
import Restricted from "@/components/Restricted";
import StaffPage from "@/components/StaffPage";

export default async function CustomerPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <StaffPage path={`/customers/${id}`}>
      <Restricted permission="customers.read" what="customers' files">
        <CustomerDetail id={id} />
      </Restricted>
    </StaffPage>
  );
}
